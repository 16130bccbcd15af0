"""Slow hashes (Argon2id) for staff passwords and resident PINs."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["hash_secret", "use_hasher", "verify_secret"]

_hasher = PasswordHasher()  # Argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile)
_dummy: str | None = None  # verified against when an account does not exist, made on first use


def use_hasher(hasher: PasswordHasher) -> None:
    """Swap the hasher (the test suite uses cheap parameters; production never calls this)."""
    global _hasher, _dummy
    _hasher = hasher
    _dummy = None


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(stored: str | None, secret: str) -> bool:
    """True when `secret` matches; spends the same effort when there is no stored hash, so a
    login does not reveal whether the account exists."""
    global _dummy
    if stored is None and _dummy is None:
        _dummy = _hasher.hash("not a real secret")
    try:
        return _hasher.verify(stored or _dummy, secret) and stored is not None
    except (VerificationError, InvalidHashError):
        return False
