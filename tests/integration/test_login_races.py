"""Login limits under truly concurrent requests, against a real server (two worker processes)
on SQLite and on PostgreSQL. The server appends one line per hash verification to
LENDING_VERIFY_LOG ("<account> <client>"), and the tests count those lines: what matters is
how many secrets were checked, not only which status codes came back.

Each test logs in from its own client address, sent as X-Forwarded-For by a trusted proxy
(the test itself, 127.0.0.1), so the tests do not share a per-client count."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from live_server import LiveServer, running_server

RACE_TIMEOUT_S = 120


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def login_server(request, tmp_path_factory) -> Iterator[LiveServer]:
    workdir = tmp_path_factory.mktemp(f"login-{request.param}")
    verify_log = workdir / "verifications.log"
    env = {
        "LENDING_VERIFY_LOG": str(verify_log),
        "LENDING_TRUSTED_PROXIES": "127.0.0.1/32",
        # The request rate is a per-process brake; these tests are about the database's counts.
        "LENDING_LOGIN_REQUESTS_PER_MINUTE": "100000",
    }
    with running_server(request.param, workdir, env=env) as server:
        server.verify_log = verify_log  # type: ignore[attr-defined]
        yield server


def verifications(server: LiveServer, *, account: str = "", client: str = "") -> int:
    path: Path = server.verify_log  # type: ignore[attr-defined]
    lines = path.read_text().splitlines() if path.exists() else []
    return sum(
        1
        for line in lines
        if (not account or line.split(" ")[0] == account)
        and (not client or line.split(" ")[-1] == client)
    )


def new_patron(server: LiveServer, pin: str) -> str:
    card = f"PX{uuid.uuid4().hex[:10].upper()}"
    server.api(
        "POST",
        "/api/patrons",
        expect=201,
        json={"card_number": card, "name": "Racer", "pin": pin, "expires_on": "2099-01-01"},
    )
    return card


async def logins(server: LiveServer, client: str, bodies: list[dict]) -> list[httpx.Response]:
    """All `bodies` posted to /api/auth/token at once, from `client`."""
    limits = httpx.Limits(max_connections=len(bodies), max_keepalive_connections=0)
    async with httpx.AsyncClient(
        base_url=server.base_url, timeout=RACE_TIMEOUT_S, limits=limits
    ) as c:
        return await asyncio.gather(
            *(
                c.post("/api/auth/token", json=body, headers={"x-forwarded-for": client})
                for body in bodies
            )
        )


def statuses(responses: list[httpx.Response]) -> Counter:
    return Counter(r.status_code for r in responses)


async def test_forty_wrong_pins_at_once_for_one_card_are_checked_at_most_five_times(
    login_server,
):
    card = new_patron(login_server, "1234")
    client = "198.51.100.11"
    wrong = [{"card_number": card, "pin": f"9{i:03d}"} for i in range(40)]
    seen = statuses(await logins(login_server, client, wrong))
    checked = verifications(login_server, account=f"patron:{card}")
    assert set(seen) <= {401, 429} and seen[401] <= 5, seen
    assert 1 <= checked <= 5, (checked, seen)
    assert seen[401] == checked, (checked, seen)  # every checked PIN was answered 401
    # The right PIN after them: refused without being checked, with Retry-After.
    [right] = await logins(login_server, client, [{"card_number": card, "pin": "1234"}])
    assert right.status_code == 429, right.text
    assert right.json()["code"] == "too_many_attempts"
    assert 1 <= int(right.headers["retry-after"]) <= 15 * 60
    assert verifications(login_server, account=f"patron:{card}") == checked


async def test_a_hundred_wrong_passwords_at_once_for_one_staff_account_are_checked_at_most_five_times(
    login_server,
):
    username = f"racer{uuid.uuid4().hex[:8]}"
    login_server.api(
        "POST",
        "/api/staff",
        expect=201,
        json={"username": username, "role": "desk", "password": "right-password-1"},
    )
    client = "198.51.100.12"
    wrong = [{"username": username, "password": f"wrong-{i}"} for i in range(100)]
    seen = statuses(await logins(login_server, client, wrong))
    checked = verifications(login_server, account=f"staff:{username}")
    assert set(seen) <= {401, 429} and seen[401] <= 5, seen
    assert 1 <= checked <= 5 and seen[401] == checked, (checked, seen)
    [right] = await logins(
        login_server, client, [{"username": username, "password": "right-password-1"}]
    )
    assert right.status_code == 429, right.text


async def test_one_pin_sprayed_across_thirty_cards_at_once_is_checked_at_most_twenty_times(
    login_server,
):
    cards = [new_patron(login_server, f"{5000 + i}") for i in range(30)]
    mine = new_patron(login_server, "1234")
    client = "203.0.113.21"
    spray = [{"card_number": card, "pin": "1234"} for card in cards]
    seen = statuses(await logins(login_server, client, spray))
    checked = verifications(login_server, client=client)
    assert set(seen) <= {401, 429} and seen[401] <= 20, seen
    assert 1 <= checked <= 20, (checked, seen)
    assert seen[401] == checked, (checked, seen)
    # Now even a right PIN from that client is refused, unchecked; another client logs in.
    [right] = await logins(login_server, client, [{"card_number": mine, "pin": "1234"}])
    assert right.status_code == 429, right.text
    assert int(right.headers["retry-after"]) >= 1
    assert verifications(login_server, client=client) == checked
    [other] = await logins(login_server, "203.0.113.22", [{"card_number": mine, "pin": "1234"}])
    assert other.status_code == 200, other.text
