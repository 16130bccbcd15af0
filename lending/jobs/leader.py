"""Only one instance runs the scheduled jobs.

PostgreSQL: the leader holds a session advisory lock on its own dedicated (non-pooled)
connection; pooled connections would release it behind our back. When the leader dies its
connection closes, the lock is freed, and another instance takes it on its next try.
SQLite: instances on one machine share the database file; an exclusive lock on a file beside it
plays the same role.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
from typing import Any

__all__ = ["FileLeadership", "PostgresLeadership", "leadership_for"]

log = logging.getLogger("lending.jobs")

LOCK_KEY = 0x1E4D1E60  # "lending jobs"


class PostgresLeadership:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._conn: Any = None

    @property
    def is_leader(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def try_acquire(self) -> bool:
        """Take the lock if free; check that a held lock's connection is still alive."""
        import asyncpg

        if self._conn is not None:
            try:
                await asyncio.wait_for(self._conn.fetchval("SELECT 1"), timeout=5)
                return True
            except Exception:  # noqa: BLE001 - a dead connection means the lock is gone
                log.warning("lost the job lock's connection; no longer running jobs")
                await self.release()
        try:
            conn = await asyncpg.connect(self.dsn, timeout=10)
        except Exception as exc:  # noqa: BLE001
            log.warning("cannot reach the database for the job lock: %s", exc)
            return False
        got = await conn.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY)
        if got:
            self._conn = conn
            log.info("this instance now runs the scheduled jobs (pid %s)", os.getpid())
            return True
        await conn.close()
        return False

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.close()
            except Exception:  # noqa: BLE001
                conn.terminate()


class FileLeadership:
    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def is_leader(self) -> bool:
        return self._fd is not None

    async def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        log.info("this instance now runs the scheduled jobs (pid %s)", os.getpid())
        return True

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def leadership_for(database_url: str) -> PostgresLeadership | FileLeadership:
    if database_url.startswith("sqlite:///"):
        path = database_url.removeprefix("sqlite:///") or "lending.sqlite3"
        return FileLeadership(os.path.abspath(path) + ".jobs.lock")
    return PostgresLeadership(database_url)
