"""Logging in: passwords and PINs as slow hashes, lockout and throttling, bearer tokens."""
