"""A real `lending serve` process on a database of its own, shared by the concurrency tests
(tests/integration) and the browser tests (tests/web)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from scratch_postgres import create_database, drop_database, free_port

LENDING = str(Path(sys.executable).with_name("lending"))

ADMIN_PASSWORD = "integration-admin-password"
DEMO_ADMIN_PASSWORD = "demo-admin-pass"  # lending/services/data/demo.py
STARTUP_TIMEOUT_S = 90
STOP_TIMEOUT_S = 10


def server_env(url: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "LENDING_DATABASE_URL": url,
        "LENDING_RUN_JOBS": "0",
        "LENDING_SECRET_KEY": "live-server-test-key",
        **extra,
    }
    env.pop("PICCOLO_CONF", None)
    return env


def lending(*args: str, url: str, cwd: Path) -> None:
    result = subprocess.run(
        [LENDING, *args], env=server_env(url), cwd=cwd, capture_output=True, text=True, timeout=60
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

    def api(self, method: str, path: str, expect: int | None = None, **kw: Any) -> httpx.Response:
        """A request to the API as the admin account (for seeding test data)."""
        r = httpx.request(method, self.base_url + path, headers=self.admin, timeout=30, **kw)
        if expect is not None:
            assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text}"
        return r


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


@contextlib.contextmanager
def running_server(
    kind: str,
    workdir: Path,
    *,
    workers: int = 2,
    env: dict[str, str] | None = None,
    demo: bool = False,
) -> Iterator[LiveServer]:
    """`lending serve` on a fresh, migrated database (SQLite file or a scratch PostgreSQL
    database), with an admin account made by `lending staff add` and a branch MAIN, or with
    `demo` the demo data (`lending demo`) and its admin. `env`: more LENDING_* settings for the
    server process."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'lending.sqlite3'}"
        drop = None
    else:
        name, url = create_database("lending_live")

        def drop() -> None:
            drop_database(name)

    try:
        lending("migrate", url=url, cwd=workdir)
        password = DEMO_ADMIN_PASSWORD if demo else ADMIN_PASSWORD
        if demo:
            lending("demo", url=url, cwd=workdir)
        else:
            lending(
                "staff", "add", "admin", "--role", "admin", "--password", ADMIN_PASSWORD,
                url=url, cwd=workdir,
            )  # fmt: skip
        port = free_port()
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
                    str(workers),
                    "--no-access-log",
                ],  # fmt: skip
                env=server_env(url, **(env or {})),
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
                json={"username": "admin", "password": password},
            )
            assert r.status_code == 200, r.text
            server.admin = {"Authorization": f"Bearer {r.json()['access_token']}"}
            if demo:
                yield server
                return
            server.api(
                "POST",
                "/api/branches",
                expect=201,
                json={"code": "MAIN", "name": "Main", "timezone": "America/Chicago"},
            )
            yield server
        finally:
            _stop(process)
    finally:
        if drop is not None:
            drop()
