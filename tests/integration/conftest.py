"""A real `lending serve` process on a database of its own, for tests that need true concurrency
(several requests in flight at once, across two uvicorn worker processes).

The server is started once per module and database kind and always stopped (its whole process
group) when the module is done. Tests seed what they need through the API with codes of their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

LENDING = str(Path(sys.executable).with_name("lending"))
PG_URL = os.environ.get("LENDING_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("LENDING_REQUIRE_POSTGRES") == "1"

ADMIN_PASSWORD = "integration-admin-password"
STARTUP_TIMEOUT_S = 30
STOP_TIMEOUT_S = 10


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _pg_unreachable() -> str | None:
    try:
        asyncio.run(_pg_admin("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"{type(exc).__name__}: {exc}"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(url: str) -> dict[str, str]:
    env = {**os.environ, "LENDING_DATABASE_URL": url, "LENDING_RUN_JOBS": "0"}
    env.pop("PICCOLO_CONF", None)
    return env


def _lending(*args: str, url: str, cwd: Path) -> None:
    result = subprocess.run(
        [LENDING, *args], env=_env(url), cwd=cwd, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, f"lending {' '.join(args[:2])} failed:\n{result.stderr}"


@dataclass
class LiveServer:
    kind: str  # "sqlite" or "postgres"
    url: str  # LENDING_DATABASE_URL of the server
    base_url: str
    log: Path
    admin: dict[str, str] = field(default_factory=dict)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _stop(process: subprocess.Popen) -> None:
    """Stop the server and its uvicorn workers: they share the process group we created."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_TIMEOUT_S)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # stragglers (workers) if any
    process.wait(timeout=STOP_TIMEOUT_S)


def _wait_until_healthy(server: LiveServer, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{server.log_tail()}")
        try:
            if httpx.get(f"{server.base_url}/api/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(
        f"the server did not answer /api/health in {STARTUP_TIMEOUT_S} s:\n{server.log_tail()}"
    )


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def live_server(request, tmp_path_factory) -> Iterator[LiveServer]:
    """`lending serve --workers 2` on a fresh, migrated database, with an admin account made by
    `lending staff add` and a branch MAIN."""
    kind = request.param
    workdir = tmp_path_factory.mktemp(f"live-{kind}")
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'lending.sqlite3'}"
        drop = None
    else:
        problem = _pg_unreachable()
        if problem:
            if REQUIRE_PG:
                pytest.fail(f"PostgreSQL is required (LENDING_REQUIRE_POSTGRES=1) but: {problem}")
            pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {problem}")
        name = f"lending_live_{uuid.uuid4().hex[:8]}"
        asyncio.run(_pg_admin(f"CREATE DATABASE {name}"))
        url = f"{PG_URL.rpartition('/')[0]}/{name}"

        def drop() -> None:
            asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))

    try:
        _lending("migrate", url=url, cwd=workdir)
        _lending(
            "staff",
            "add",
            "admin",
            "--role",
            "admin",
            "--password",
            ADMIN_PASSWORD,
            url=url,
            cwd=workdir,
        )
        port = _free_port()
        server = LiveServer(kind, url, f"http://127.0.0.1:{port}", workdir / "server.log")
        with server.log.open("wb") as log:
            process = subprocess.Popen(
                [
                    LENDING,
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    "2",
                    "--no-access-log",
                ],
                env=_env(url),
                cwd=workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        try:
            _wait_until_healthy(server, process)
            r = httpx.post(
                f"{server.base_url}/api/auth/token",
                timeout=30,
                json={"username": "admin", "password": ADMIN_PASSWORD},
            )
            assert r.status_code == 200, r.text
            server.admin = {"Authorization": f"Bearer {r.json()['access_token']}"}
            r = httpx.post(
                f"{server.base_url}/api/branches",
                headers=server.admin,
                timeout=30,
                json={"code": "MAIN", "name": "Main", "timezone": "America/Chicago"},
            )
            assert r.status_code == 201, r.text
            yield server
        finally:
            _stop(process)
    finally:
        if drop is not None:
            drop()
