"""Shared fixtures. Every database test runs twice: on SQLite and on PostgreSQL.

PostgreSQL comes from LENDING_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test);
the suite creates its own database next to it. When PostgreSQL is unreachable those tests skip,
unless LENDING_REQUIRE_POSTGRES=1 (CI), where they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from scratch_postgres import create_database, drop_database

from lending.services.access import passwords

ROOT = Path(__file__).resolve().parents[1]
LENDING = str(Path(sys.executable).with_name("lending"))
DATABASES = ["sqlite", "postgres"]

# Cheap hashes keep the suite fast; production uses argon2's defaults (tested separately).
passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def run_lending(*args: str, url: str, cwd: Path | None = None, check: bool = True, **kw: Any):
    env = {**os.environ, "LENDING_DATABASE_URL": url}
    env.pop("PICCOLO_CONF", None)
    return subprocess.run(
        [LENDING, *args],
        env=env,
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        check=check,
        **kw,
    )


@dataclass
class Database:
    """A migrated database for the test session; `reset()` empties it between tests."""

    kind: str
    url: str
    template: Path | None = None  # SQLite: a migrated file copied for each test
    workdir: Path | None = None
    counter: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def fresh_url(self) -> str:
        if self.kind == "sqlite":
            self.counter += 1
            path = self.workdir / f"test-{self.counter}.sqlite3"
            shutil.copyfile(self.template, path)
            return f"sqlite:///{path}"
        return self.url


def _truncate_all() -> str:
    from lending.tables import TABLES

    names = ", ".join(t._meta.tablename for t in TABLES)
    return f"TRUNCATE {names} RESTART IDENTITY CASCADE"


TRUNCATE = _truncate_all()


@pytest.fixture(scope="session", params=DATABASES)
def database(request, tmp_path_factory) -> Database:
    kind = request.param
    if kind == "sqlite":
        workdir = tmp_path_factory.mktemp("sqlite")
        template = workdir / "template.sqlite3"
        run_lending("migrate", url=f"sqlite:///{template}")
        return Database(kind, f"sqlite:///{template}", template=template, workdir=workdir)
    name, url = create_database("lending_test")
    request.addfinalizer(lambda: drop_database(name))
    run_lending("migrate", url=url)
    return Database(kind, url)


@pytest.fixture
async def db_url(database: Database) -> str:
    """A clean, migrated database for one test."""
    url = database.fresh_url()
    if database.kind == "postgres":
        import asyncpg

        conn = await asyncpg.connect(url)
        try:
            await conn.execute(TRUNCATE)
        finally:
            await conn.close()
    return url


class Clock:
    """A pinned clock: tests set `now` and move it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        from datetime import timedelta

        self.now = self.now + timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    # 2026-12-01 10:00 in Chicago (16:00 UTC)
    return Clock(datetime(2026, 12, 1, 16, 0, tzinfo=UTC))


@pytest.fixture
async def app(db_url: str, clock: Clock):
    from lending.app import create_app
    from lending.settings import Settings

    settings = Settings(database_url=db_url, timezone="America/Chicago", secret_key="test-secret")
    return create_app(settings, clock=clock)


@pytest.fixture
async def client(app) -> AsyncIterator[Any]:
    """An HTTP client on the app in this event loop (so services called directly by a test
    share the app's database pool)."""
    import httpx

    from lending.database import close_database, make_engine, open_database

    engine = make_engine(app.state.settings.database_url)
    await open_database(engine)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c
    finally:
        await close_database(engine)


class Api:
    """A test client with helpers for logging in and seeding through the API."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.headers: dict[str, dict[str, str]] = {}

    async def staff(
        self, username: str, role: str, password: str = "correct-horse", partner: str | None = None
    ) -> dict:
        from lending.services.actors import Actor
        from lending.services.people.staff import add_staff

        await add_staff(
            Actor("test", "system"),
            datetime.now(UTC),
            username=username,
            role=role,
            password=password,
            partner=partner,
        )
        return await self.login(username=username, password=password)

    async def login(self, **credentials: str) -> dict[str, str]:
        r = await self.client.post("/api/auth/token", json=credentials)
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    async def as_(self, headers: dict[str, str], method: str, url: str, **kw: Any):
        return await self.client.request(method, url, headers=headers, **kw)


@pytest.fixture
async def api(client) -> Api:
    api = Api(client)
    api.headers["admin"] = await api.staff("admin", "admin")
    api.headers["desk"] = await api.staff("desk", "desk")
    return api


@pytest.fixture
async def library(api: Api) -> dict[str, Any]:
    """A small library: branch MAIN (Chicago), policies, 3 hotspots, 2 laptops, 3 patrons
    (two share household H1), resident PIN 1234 for each."""
    admin = api.headers["admin"]
    post = api.client.post

    async def ok(response):
        assert response.status_code in (200, 201), response.text
        return response.json()

    await ok(
        await post(
            "/api/branches",
            json={"code": "MAIN", "name": "Main", "timezone": "America/Chicago"},
            headers=admin,
        )
    )
    await ok(
        await post(
            "/api/branches",
            json={"code": "EAST", "name": "East", "timezone": "America/New_York"},
            headers=admin,
        )
    )
    devices = {}
    for i, kind in enumerate(["hotspot", "hotspot", "hotspot", "laptop", "laptop"], start=1):
        barcode = f"DEV{i:03d}"
        devices[barcode] = await ok(
            await post(
                "/api/devices",
                json={
                    "barcode": barcode,
                    "kind": kind,
                    "model": f"Model {kind}",
                    "serial_number": f"SN{i}",
                    "branch": "MAIN",
                    "replacement_cost": 100,
                },
                headers=admin,
            )
        )
    patrons = {}
    for card, name, household in [
        ("P001", "Ana", "H1"),
        ("P002", "Ben", "H1"),
        ("P003", "Cy", None),
    ]:
        patrons[card] = await ok(
            await post(
                "/api/patrons",
                json={
                    "card_number": card,
                    "name": name,
                    "household": household,
                    "pin": "1234",
                    "branch": "MAIN",
                    "expires_on": "2030-01-01",
                },
                headers=admin,
            )
        )
    return {"devices": devices, "patrons": patrons}
