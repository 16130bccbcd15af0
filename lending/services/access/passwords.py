"""Slow hashes (Argon2id) for staff passwords and resident PINs.

Argon2 takes ~50 ms of CPU and 64 MiB per call by design, so the server never runs it on the
event loop: `hash_secret_async` and `verify_secret_async` run it in a small, bounded pool of
threads (argon2-cffi releases the GIL while it hashes), and other requests keep being served.
The pool has `configure_pool(n)` threads (LENDING_HASH_WORKERS, default 1 per server process);
further calls wait in its queue. The sync functions are for the command line and tests."""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "configure_pool",
    "hash_secret",
    "hash_secret_async",
    "use_hasher",
    "verify_secret",
    "verify_secret_async",
]

_hasher = PasswordHasher()  # Argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile)
_dummy: str | None = None  # verified against when an account does not exist, made on first use
_dummy_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_size = 1
_verify_log = ""  # LENDING_VERIFY_LOG: one line per verification, for tests and benchmarks


def use_hasher(hasher: PasswordHasher) -> None:
    """Swap the hasher (the test suite uses cheap parameters; production never calls this)."""
    global _hasher, _dummy
    _hasher = hasher
    _dummy = None


def configure_pool(workers: int, verify_log: str = "") -> None:
    """Size the hashing pool (the app calls this at start) and where verifications are logged."""
    global _pool, _pool_size, _verify_log
    _verify_log = verify_log
    if _pool is not None and workers != _pool_size:
        _pool.shutdown(wait=False)
        _pool = None
    _pool_size = workers


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=_pool_size, thread_name_prefix="argon2")
    return _pool


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def _dummy_hash() -> str:
    global _dummy
    with _dummy_lock:
        if _dummy is None:
            _dummy = _hasher.hash("not a real secret")
        return _dummy


def _log_verification(label: str) -> None:
    line = f"{label}\n".encode("utf-8", "replace")
    fd = os.open(_verify_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)  # one small O_APPEND write: lines from several processes never mix
    finally:
        os.close(fd)


def verify_secret(stored: str | None, secret: str, label: str = "") -> bool:
    """True when `secret` matches; spends the same effort when there is no stored hash, so a
    login does not reveal whether the account exists."""
    if _verify_log:
        _log_verification(label)
    try:
        return _hasher.verify(stored or _dummy_hash(), secret) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


async def hash_secret_async(secret: str) -> str:
    """`hash_secret` in the hashing pool, off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(_executor(), hash_secret, secret)


async def verify_secret_async(stored: str | None, secret: str, label: str = "") -> bool:
    """`verify_secret` in the hashing pool, off the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor(), verify_secret, stored, secret, label)
