"""`lending sip2` as an operator runs it: kiosk accounts added, listed and removed, refusals as
plain sentences, and `lending sip2 serve` answering a kiosk's login until it is stopped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from scratch_postgres import free_port
from test_cli import LENDING, lending, new_database, refused, succeeded

from lending.sip2.codec import checksum


@pytest.fixture(params=["sqlite", "postgres"])
def demo_url(request, tmp_path) -> Iterator[str]:
    """A migrated database with the demo library (its MAIN branch desk is a service point)."""
    with new_database(request.param, tmp_path) as url:
        succeeded(lending("migrate", url=url, cwd=tmp_path))
        succeeded(lending("demo", url=url, cwd=tmp_path))
        yield url


def test_kiosk_accounts_are_added_listed_and_removed_and_refusals_read_plainly(demo_url, tmp_path):
    url = demo_url
    out = succeeded(lending("sip2", "account", "add", "lobby-kiosk", "--password",
                            "kiosk-pass-1", "--service-point", "MAIN", url=url, cwd=tmp_path))  # fmt: skip
    assert "lobby-kiosk" in out and "MAIN" in out
    assert "lobby-kiosk" in succeeded(lending("sip2", "account", "list", url=url, cwd=tmp_path))
    again = refused(lending("sip2", "account", "add", "lobby-kiosk", "--password",
                            "kiosk-pass-1", "--service-point", "MAIN", url=url, cwd=tmp_path))  # fmt: skip
    assert "already exists" in again
    nowhere = refused(lending("sip2", "account", "add", "other", "--password", "kiosk-pass-1",
                              "--service-point", "NOWHERE", url=url, cwd=tmp_path))  # fmt: skip
    assert "service_point" in nowhere and "NOWHERE" in nowhere
    short = refused(lending("sip2", "account", "add", "other", "--password", "short",
                            "--service-point", "MAIN", url=url, cwd=tmp_path))  # fmt: skip
    assert "password" in short
    succeeded(lending("sip2", "account", "remove", "lobby-kiosk", url=url, cwd=tmp_path))
    assert "No SIP accounts" in succeeded(lending("sip2", "account", "list", url=url, cwd=tmp_path))
    gone = refused(lending("sip2", "account", "remove", "lobby-kiosk", url=url, cwd=tmp_path))
    assert "No SIP account" in gone


def _ask(sock: socket.socket, text: str) -> str:
    frame = f"{text}AY0AZ"
    sock.sendall((frame + checksum(frame) + "\r").encode())
    data = b""
    while not data.endswith(b"\r"):
        chunk = sock.recv(4096)
        assert chunk, "the server closed the connection"
        data += chunk
    return data.decode()


def test_sip2_serve_answers_a_kiosk_login_and_stops_on_sigterm(demo_url, tmp_path):
    url = demo_url
    succeeded(lending("sip2", "account", "add", "lobby-kiosk", "--password", "kiosk-pass-1",
                      "--service-point", "MAIN", url=url, cwd=tmp_path))  # fmt: skip
    port = free_port()
    env = {**os.environ, "LENDING_DATABASE_URL": url, "LENDING_RUN_JOBS": "0"}
    server = subprocess.Popen(
        [LENDING, "sip2", "serve", "--port", str(port)],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                assert server.poll() is None, server.communicate()
                assert time.monotonic() < deadline, "the SIP2 server did not start"
                time.sleep(0.2)
        with sock:
            assert _ask(sock, "9300CNlobby-kiosk|COwrong-password|").startswith("940")
            assert _ask(sock, "9300CNlobby-kiosk|COkiosk-pass-1|").startswith("941")
            assert _ask(sock, "9900802.00").startswith("98YYYY")
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=30)
        assert server.returncode == 0, err
        assert f"listening on 127.0.0.1:{port}" in out
    finally:
        if server.poll() is None:
            server.kill()
