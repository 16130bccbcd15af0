"""Offline circulation: replaying a desk's queued work, and the exceptions staff resolve."""
