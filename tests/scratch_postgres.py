"""The PostgreSQL server the suite uses, and scratch databases on it.

LENDING_TEST_POSTGRES_URL names a database the suite may connect to (default
postgresql://postgres@127.0.0.1:5432/test); tests create their own databases beside it. When
the server is unreachable the tests that need it skip, unless LENDING_REQUIRE_POSTGRES=1 (CI),
where they fail.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import socket
import uuid
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest

PG_URL = os.environ.get("LENDING_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("LENDING_REQUIRE_POSTGRES") == "1"


async def pg(sql: str, url: str = PG_URL) -> list[Any]:
    """Run one statement on its own connection; returns the rows."""
    import asyncpg

    conn = await asyncpg.connect(url, timeout=5)
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()


def run_sync(coro: Any) -> Any:
    """asyncio.run, also from a thread whose event loop is already running (Playwright's sync
    API runs one in the browser tests' thread): then the coroutine runs in a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@cache
def unreachable() -> str | None:
    """Why PostgreSQL cannot be used, or None."""
    try:
        run_sync(pg("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"{type(exc).__name__}: {exc}"
    return None


def require_postgres() -> None:
    """Skip the test (fail it in CI) when PostgreSQL cannot be used."""
    problem = unreachable()
    if problem:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required (LENDING_REQUIRE_POSTGRES=1) but: {problem}")
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {problem}")


def url_of(name: str) -> str:
    return f"{PG_URL.rpartition('/')[0]}/{name}"


def create_database(prefix: str) -> tuple[str, str]:
    """A new, empty database: its name and URL."""
    require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    run_sync(pg(f"CREATE DATABASE {name}"))
    return name, url_of(name)


def drop_database(name: str) -> None:
    run_sync(pg(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@contextlib.contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """An empty database for the duration of the block; dropped afterwards."""
    name, url = create_database(prefix)
    try:
        yield url
    finally:
        drop_database(name)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
