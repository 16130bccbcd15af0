"""Property-based fuzzing of the whole API with schemathesis, in-process (ASGI), on a seeded
library: no input produces a 5xx, and every answer matches the OpenAPI document (status codes,
media types, bodies).

schemathesis drives the app from its own event-loop thread and keeps the app's lifespan (and so
its database pool) open in that loop, so this module makes its own app instead of using the
`client` fixture, and seeds it over HTTP from that same loop.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from scratch_postgres import run_sync

LENDING = str(Path(sys.executable).with_name("lending"))
NOW = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
PASSWORD = "correct-horse"
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


async def _empty_postgres(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        tables = [
            r["tablename"]
            for r in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'migration'"
            )
        ]
        if tables:
            await conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return response.json()


@pytest.fixture(scope="module")
def fuzzed(database) -> Iterator[dict[str, Any]]:
    """A seeded app with an admin token and a resident token, served in schemathesis' loop."""
    from lending.app import create_app
    from lending.settings import Settings

    url = database.fresh_url()
    if database.kind == "postgres":
        run_sync(_empty_postgres(url))
    env = {**os.environ, "LENDING_DATABASE_URL": url}
    env.pop("PICCOLO_CONF", None)
    subprocess.run(
        [LENDING, "staff", "add", "admin", "--role", "admin", "--password", PASSWORD],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    app = create_app(
        Settings(database_url=url, timezone="America/Chicago", run_jobs=False), clock=lambda: NOW
    )
    try:
        with asgi.get_client(app) as http:
            token = _ok(http.post("/api/auth/token", json={"username": "admin",
                                                           "password": PASSWORD}))  # fmt: skip
            admin = {"Authorization": f"Bearer {token['access_token']}"}
            _ok(http.post("/api/branches", json={"code": "MAIN", "name": "Main"}, headers=admin))
            for i, kind in enumerate(["hotspot", "hotspot", "laptop", "tablet"], start=1):
                _ok(http.post("/api/devices", headers=admin, json={
                    "barcode": f"DEV{i:03d}", "kind": kind, "model": "M", "serial_number": f"S{i}",
                    "branch": "MAIN", "replacement_cost": 100,
                }))  # fmt: skip
            for card in ["P001", "P002", "P003"]:
                _ok(http.post("/api/patrons", headers=admin, json={
                    "card_number": card, "name": card, "pin": "1234", "branch": "MAIN",
                    "household": "H1", "expires_on": "2030-01-01",
                }))  # fmt: skip
            _ok(http.post("/api/checkout", json={"patron": "P001", "device": "DEV001"},
                          headers=admin))  # fmt: skip
            _ok(http.post("/api/holds", json={"patron": "P002", "kind": "laptop",
                                              "branch": "MAIN"}, headers=admin))  # fmt: skip
            resident = _ok(http.post("/api/auth/token", json={"card_number": "P001",
                                                              "pin": "1234"}))  # fmt: skip
            spare = _ok(http.post("/api/auth/token", json={"username": "admin",
                                                           "password": PASSWORD}))  # fmt: skip
        yield {
            "app": app,
            "admin": admin,
            "resident": {"Authorization": f"Bearer {resident['access_token']}"},
            # For POST /api/auth/logout, which revokes the token it is sent with.
            "spare": {"Authorization": f"Bearer {spare['access_token']}"},
        }
    finally:
        asgi.shutdown_lifespans()  # closes the app's database pool in schemathesis' loop


@pytest.fixture(scope="module")
def api_schema(fuzzed):
    return schemathesis.openapi.from_asgi("/schema/openapi.json", fuzzed["app"])


def _operations() -> list[tuple[str, str]]:
    """(method, path) of every documented operation, read from an app that is never started."""
    from lending.app import create_app
    from lending.database import bind_engine, current_engine
    from lending.settings import Settings

    previous = current_engine()  # create_app binds the tables; give them back
    try:
        app = create_app(Settings(database_url="sqlite:///unused.sqlite3", run_jobs=False))
        paths = app.openapi_schema.to_schema()["paths"]
    finally:
        bind_engine(previous)
    methods = {"get", "put", "post", "patch", "delete"}
    return sorted((m.upper(), path) for path, item in paths.items() for m in item if m in methods)


OPERATIONS = _operations()


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_the_api_never_fails_and_answers_as_documented(fuzzed, api_schema, method, path):
    """Valid and invalid requests alike; /api/me/... as a resident, the rest as an admin."""
    operation = api_schema[path][method]
    headers = fuzzed["resident"] if path.startswith("/api/me") else fuzzed["admin"]
    if path == "/api/auth/logout":
        headers = fuzzed["spare"]

    @FUZZ
    @given(
        case=st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )
    )
    def fuzz(case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    fuzz()
