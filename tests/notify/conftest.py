"""A real SMTP server (aiosmtpd) and a real SMS webhook gateway (http.server) on free local
ports, settings pointing at them, and helpers to seed loans through the API."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from lending.settings import Settings


def free_port() -> int:
    """A port nothing listens on (aiosmtpd 1.4.6 cannot take port 0 itself)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """The aiosmtpd handler: keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


class SmtpServer:
    """An SMTP server on a fixed port that a test can start late (to play "server down")."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.mailbox = Mailbox()
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.mailbox.messages


@dataclass
class Gateway:
    """A local SMS webhook gateway: answers 500 to the first `fail_first` requests."""

    fail_first: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/sms"

    @property
    def delivered(self) -> list[dict[str, Any]]:
        return self.requests[self.fail_first :]

    def start(self) -> Gateway:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                gateway.requests.append(json.loads(self.rfile.read(length)))
                gateway.headers.append(dict(self.headers))
                failing = len(gateway.requests) <= gateway.fail_first
                status = 500 if failing else 202
                reply = b'{"error": "gateway busy"}' if failing else b'{"queued": true}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def smtp_server():
    """A running SMTP server; `.messages` are the parsed emails it accepted."""
    server = SmtpServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def gateway():
    gw = Gateway(fail_first=1).start()
    yield gw
    gw.stop()


SETTINGS = Settings(
    timezone="America/Chicago",
    library_name="Springfield Library",
    smtp_host="127.0.0.1",
    smtp_starttls=False,
    mail_from="library@example.org",
    sms_webhook_token="gateway-token",
    library_phone="+1 555 0100",
    renew_url="https://library.example/renew",
    admin_email="admins@example.org",
)


@pytest.fixture
def base_settings() -> Settings:
    """Settings with every notice setting but the SMTP port and the SMS gateway's address."""
    return SETTINGS


@pytest.fixture
def unused_port():
    """`unused_port()`: a local port nothing listens on."""
    return free_port


@pytest.fixture
def start_smtp_server():
    """`start_smtp_server(port)`: an SMTP server started on `port` now (stopped after the test)."""
    servers: list[SmtpServer] = []

    def start(port: int) -> SmtpServer:
        servers.append(SmtpServer(port).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def settings(smtp_server: SmtpServer, gateway: Gateway) -> Settings:
    return replace(SETTINGS, smtp_port=smtp_server.port, sms_webhook_url=gateway.url)


class Seeder:
    """Loans and patron contact details through the API (do it before moving the clock far:
    staff tokens last 12 hours)."""

    def __init__(self, api: Any, clock: Any) -> None:
        self.api = api
        self.clock = clock

    async def contact(self, card: str, **changes: Any) -> dict[str, Any]:
        r = await self.api.client.patch(
            f"/api/patrons/{card}", json=changes, headers=self.api.headers["desk"]
        )
        assert r.status_code == 200, r.text
        return r.json()

    async def checkout(self, card: str, device: str) -> dict[str, Any]:
        r = await self.api.client.post(
            "/api/checkout",
            json={"patron": card, "device": device},
            headers=self.api.headers["desk"],
        )
        assert r.status_code == 201, r.text
        return r.json()["loan"]

    async def relogin(self) -> None:
        for role in ("desk", "admin"):
            self.api.headers[role] = await self.api.login(username=role, password="correct-horse")

    async def checkin(self, device: str) -> dict[str, Any]:
        await self.relogin()
        r = await self.api.client.post(
            "/api/checkin", json={"device": device}, headers=self.api.headers["desk"]
        )
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture
async def seed(api: Any, library: dict[str, Any], clock: Any) -> Seeder:
    return Seeder(api, clock)
