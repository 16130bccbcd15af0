"""Applying migrations and refusing to serve an unmigrated database."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
from collections.abc import AsyncIterator

from piccolo.querystring import QueryString

from ...circulation import LendingError
from ...circulation.codes import Code
from ...database import current_engine
from ...piccolo_migrations import FOLDER as MIGRATIONS_FOLDER

__all__ = ["DatabaseNotMigrated", "known_migration_ids", "migrate", "pending_migrations"]


class DatabaseNotMigrated(LendingError):
    status = 503
    title = "Database not migrated"
    default_code = Code.DATABASE_NOT_MIGRATED


# A Piccolo migration module names its id in one line, `ID = "2026-11-28T13:43:08:202913"`.
_MIGRATION_ID = re.compile(r"""^ID = ["']([^"']+)["']\s*$""", re.MULTILINE)


def known_migration_ids() -> list[str]:
    """Every migration id this version of the code has, oldest first. Read from the migration
    files' text rather than by importing them as Piccolo does, so that a serving process (which
    asks this at start-up) never loads Piccolo's migration tooling; a test holds the two equal."""
    ids = []
    for path in MIGRATIONS_FOLDER.glob("*.py"):
        if path.name.startswith("__"):
            continue
        found = _MIGRATION_ID.search(path.read_text(encoding="utf-8"))
        if found is None:
            raise RuntimeError(f"the migration {path.name} names no ID")
        ids.append(found.group(1))
    return sorted(ids)


def _no_migration_table(exc: Exception) -> bool:
    """A brand-new database: Piccolo's `migration` table does not exist yet."""
    if getattr(exc, "sqlstate", None) == "42P01":  # PostgreSQL undefined_table
        return True
    return isinstance(exc, sqlite3.OperationalError) and "no such table" in str(exc)


async def pending_migrations() -> list[str]:
    """Migration ids not yet applied to the current database (all of them when it is new)."""
    engine = current_engine()
    try:
        rows = await engine.run_querystring(
            QueryString("SELECT name FROM migration WHERE app_name = {}", "lending")
        )
    except Exception as exc:
        if _no_migration_table(exc):
            return known_migration_ids()
        raise  # the database is unreachable or broken: say so, never "not migrated"
    done = {r["name"] for r in rows}
    return [m for m in known_migration_ids() if m not in done]


async def ensure_migrated() -> None:
    pending = await pending_migrations()
    if pending:
        raise DatabaseNotMigrated(
            f"The database has {len(pending)} migration(s) not applied; "
            "run `lending migrate` first."
        )


@contextlib.asynccontextmanager
async def _migration_lock(database_url: str | None) -> AsyncIterator[None]:
    """One `lending migrate` at a time per database: on PostgreSQL a session advisory lock on a
    connection of its own (another instance's migrate waits for it, then finds nothing to do);
    on SQLite an exclusive lock on a file beside the database."""
    if not database_url:
        yield
        return
    if database_url.startswith(("postgres://", "postgresql://")):
        import asyncpg

        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute("SELECT pg_advisory_lock(hashtext('lending:migrate'))")
            yield
        finally:
            with contextlib.suppress(Exception):
                await conn.execute("SELECT pg_advisory_unlock(hashtext('lending:migrate'))")
            await conn.close()
        return
    import fcntl

    path = database_url.removeprefix("sqlite:///") + ".migrate-lock"
    with open(path, "a+b") as lock:
        await asyncio.to_thread(fcntl.flock, lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


async def migrate(database_url: str | None = None) -> list[str]:
    """Apply every pending migration; returns the ids applied. With `database_url`, under the
    migration lock: two instances migrating at once take turns."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    async with _migration_lock(database_url):
        pending = await pending_migrations()
        if not pending:
            return []
        result = await run_forwards(app_name="lending")
        if not result.success:
            raise RuntimeError(result.message or "migration failed")
        return pending
