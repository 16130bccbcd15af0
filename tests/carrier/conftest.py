"""A real carrier webhook endpoint on 127.0.0.1, and hotspot lines to suspend and restore."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from lending.circulation.scan import luhn_check_digit
from lending.schemas.lines import LineOut
from lending.services.actors import Actor
from lending.settings import Settings

SECRET = "carrier-shared-secret"
ADMIN = Actor("admin", "admin")


@dataclass
class CarrierRequest:
    body: dict[str, Any]
    raw: bytes
    signature: str
    timestamp: str
    signature_ok: bool
    status: int


@dataclass
class CarrierServer:
    """Answers each POST with `respond(payload, attempt_number)` (an HTTP status, or None to
    hang past any client timeout) and keeps every request it got."""

    url: str = ""
    respond: Callable[[dict[str, Any], int], int | None] = lambda body, n: 200
    requests: list[CarrierRequest] = field(default_factory=list)

    def fail_first(self, failures: int) -> None:
        self.respond = lambda body, n: 500 if n <= failures else 200

    def always(self, status: int) -> None:
        self.respond = lambda body, n: status

    @property
    def accepted(self) -> list[CarrierRequest]:
        return [r for r in self.requests if 200 <= r.status < 300]

    def settings(self, **overrides: Any) -> Settings:
        return Settings(
            timezone="America/Chicago",
            carrier_gateway="webhook",
            carrier_webhook_url=self.url,
            carrier_webhook_secret=SECRET,
            **overrides,
        )


@pytest.fixture
def carrier_server() -> Iterator[CarrierServer]:
    state = CarrierServer()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            signature = self.headers.get("X-Lending-Signature", "")
            expected = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
            body = json.loads(raw)
            with lock:
                status = state.respond(body, len(state.requests) + 1)
                state.requests.append(
                    CarrierRequest(
                        body=body,
                        raw=raw,
                        signature=signature,
                        timestamp=self.headers.get("X-Lending-Timestamp", ""),
                        signature_ok=hmac.compare_digest(signature, expected),
                        status=status or 0,
                    )
                )
            if status is None:
                time.sleep(2)
                status = 200
            reply = json.dumps({"ok": 200 <= status < 300}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/carrier/actions"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def make_iccid(serial: int) -> str:
    payload = f"890141{serial:012d}"  # 18 digits + check digit = 19
    return payload + str(luhn_check_digit(payload))


class Lines:
    """Data plans and lines through lending.services.lines.service_lines, and loans through the API."""

    def __init__(self, api: Any, clock: Any) -> None:
        self.api = api
        self.clock = clock
        self.plan: int | None = None

    async def install(
        self, device: str = "DEV001", phone: str = "+1 555 0100", carrier: str = "T-Mobile"
    ) -> LineOut:
        from lending.services.lines.service_lines import create_line, create_plan

        if self.plan is None:
            plan = await create_plan(
                ADMIN,
                self.clock.now,
                {"carrier": carrier, "name": "Unlimited", "monthly_cost": 15.0},
            )
            self.plan = plan.id
        serial = int(device.removeprefix("DEV"))
        return await create_line(
            ADMIN,
            self.clock.now,
            {
                "iccid": make_iccid(serial),
                "phone_number": phone,
                "carrier": carrier,
                "plan": self.plan,
                "device": device,
            },
            "America/Chicago",
        )

    async def checkout(self, device: str = "DEV001", card: str = "P001") -> dict[str, Any]:
        r = await self.api.client.post(
            "/api/checkout",
            json={"patron": card, "device": device},
            headers=self.api.headers["desk"],
        )
        assert r.status_code == 201, r.text
        return r.json()["loan"]

    async def checkin(self, device: str = "DEV001") -> dict[str, Any]:
        # Staff tokens last 12 hours and tests move the clock by days: log in again.
        desk = await self.api.login(username="desk", password="correct-horse")
        r = await self.api.client.post("/api/checkin", json={"device": device}, headers=desk)
        assert r.status_code == 200, r.text
        return r.json()

    async def overdue_for_suspension(self, device: str = "DEV001") -> LineOut:
        """Install a line, check the hotspot out, move the clock past due date + 3 days
        (the hotspot policy's suspend_line_after_days) and queue the suspend."""
        from lending.jobs import run_job

        line = await self.install(device)
        await self.checkout(device)
        self.clock.advance(days=26)  # due 2026-12-22 end of day in Chicago; now 2026-12-27
        result = await run_job("suspend_lines", self.clock.now, Settings())
        assert result.summary == {"suspensions_queued": 1}
        return line

    async def status(self, iccid: str) -> str:
        from lending.tables import ServiceLine

        row = await ServiceLine.select(ServiceLine.status).where(ServiceLine.iccid == iccid).first()
        return row["status"]


@pytest.fixture
async def lines(api, library, clock) -> Lines:
    return Lines(api, clock)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
