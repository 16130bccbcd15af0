"""Patron notices: queueing them, delivering them, the queue as staff see it, the call list."""
