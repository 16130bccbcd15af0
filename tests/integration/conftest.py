"""A real `lending serve` process on a database of its own, for tests that need true concurrency
(several requests in flight at once, across two uvicorn worker processes).

The server is started once per module and database kind and always stopped (its whole process
group) when the module is done. Tests seed what they need through the API with codes of their own.
"""

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

import httpx
import pytest
from scratch_postgres import create_database, drop_database, free_port

LENDING = str(Path(sys.executable).with_name("lending"))

ADMIN_PASSWORD = "integration-admin-password"
STARTUP_TIMEOUT_S = 30
STOP_TIMEOUT_S = 10


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
        name, url = create_database("lending_live")

        def drop() -> None:
            drop_database(name)

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
