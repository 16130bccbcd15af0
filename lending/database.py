"""The database engine, chosen by LENDING_DATABASE_URL, and one way to open a write transaction.

SQLite is the embedded default (a file in the working folder); PostgreSQL is for production.
"""

from __future__ import annotations

import asyncio
import functools
import os
import random
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, ParamSpec, TypeVar

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from .settings import DEFAULT_DATABASE_URL

__all__ = [
    "DB",
    "bind_engine",
    "close_database",
    "open_database",
    "current_engine",
    "is_postgres",
    "make_engine",
    "retry_on_conflict",
    "write_transaction",
]

P = ParamSpec("P")
T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_S = 30

# Piccolo's migration machinery finds its engine and apps through lending/piccolo_conf.py, which
# is imported only when migrating: its registry pulls in Piccolo's migration tooling (and black,
# click), which a serving process never needs.
os.environ.setdefault("PICCOLO_CONF", "lending.piccolo_conf")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///") or "lending.sqlite3"
        return SQLiteEngine(path=path, timeout=SQLITE_BUSY_TIMEOUT_S)
    if url.startswith(("postgres://", "postgresql://")):
        return PostgresEngine(config={"dsn": url})
    raise ValueError("LENDING_DATABASE_URL must start with sqlite:/// or postgresql://")


DB: Engine = make_engine(os.environ.get("LENDING_DATABASE_URL") or DEFAULT_DATABASE_URL)

_engine: Engine = DB


def bind_engine(engine: Engine) -> Engine:
    """Point every lending table at `engine` (the app, the CLI and tests call this)."""
    global _engine
    from .tables import TABLES

    for table in TABLES:
        table._meta.db = engine
    _engine = engine
    return engine


def current_engine() -> Engine:
    return _engine


def is_postgres() -> bool:
    return isinstance(_engine, PostgresEngine)


@asynccontextmanager
async def write_transaction() -> Any:
    """One transaction per operation. On SQLite take the write lock at BEGIN (IMMEDIATE), so
    concurrent writers queue instead of failing with 'database is locked'."""
    engine = _engine
    if isinstance(engine, SQLiteEngine):
        async with engine.transaction(transaction_type=TransactionType.immediate) as tx:
            yield tx
    else:
        async with engine.transaction() as tx:
            yield tx


async def _keep_session(connection: Any) -> None:
    """Pool release hook: asyncpg has already rolled back any open transaction; skip its default
    reset query (unlock all advisory locks, CLOSE ALL, UNLISTEN *, RESET ALL), which costs one
    more round trip on every release (every query outside a transaction, every transaction).

    The app keeps no session state on pooled connections: locks are `pg_advisory_xact_lock`,
    settings would be `SET LOCAL`, and the jobs leader's session lock lives on a dedicated,
    non-pooled connection. Anything that needs session state must use its own connection."""
    return None


async def open_database(engine: Engine) -> None:
    """Bind the tables to `engine` and start its pool (PostgreSQL)."""
    bind_engine(engine)
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=2, max_size=20, reset=_keep_session)


async def close_database(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()


# SQLSTATEs PostgreSQL uses for "this transaction lost a race; running it again may succeed":
# serialization_failure and deadlock_detected.
RETRYABLE_SQLSTATES = ("40001", "40P01")
RETRY_ATTEMPTS = 3


def is_retryable(exc: BaseException) -> bool:
    return getattr(exc, "sqlstate", None) in RETRYABLE_SQLSTATES


def retry_on_conflict(operation: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Run a whole one-transaction operation again (up to RETRY_ATTEMPTS times, after a short,
    growing, jittered pause) when PostgreSQL aborts it as a deadlock victim or a serialization
    failure. The transaction was rolled back, so running it again is safe; the lock orders in the
    services make this rare, and a last failure is raised as it is."""

    @functools.wraps(operation)
    async def run(*args: P.args, **kwargs: P.kwargs) -> T:
        for attempt in range(1, RETRY_ATTEMPTS + 1):
            try:
                return await operation(*args, **kwargs)
            except Exception as exc:
                if attempt == RETRY_ATTEMPTS or not is_retryable(exc):
                    raise
                await asyncio.sleep(random.uniform(0.005, 0.02) * attempt)
        raise AssertionError("unreachable")

    return run
