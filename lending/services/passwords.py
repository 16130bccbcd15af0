"""Slow hashes (Argon2id) for staff passwords and resident PINs."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["hash_secret", "use_hasher", "verify_secret"]

_hasher = PasswordHasher()  # Argon2id, RFC 9106 low-memory profile: ~50 ms a hash
_DUMMY = _hasher.hash("not a real secret")


def use_hasher(hasher: PasswordHasher) -> None:
    """Swap the hasher (the test suite uses cheap parameters; production never calls this)."""
    global _hasher, _DUMMY
    _hasher = hasher
    _DUMMY = hasher.hash("not a real secret")


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(stored: str | None, secret: str) -> bool:
    """True when `secret` matches; spends the same effort when there is no stored hash."""
    try:
        return _hasher.verify(stored or _DUMMY, secret) and stored is not None
    except (VerificationError, InvalidHashError):
        return False
