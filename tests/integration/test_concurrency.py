"""Circulation guarantees under truly concurrent requests, through HTTP, against a real server
(two worker processes) on SQLite and on PostgreSQL: a device never has two active loans, patron,
household and program limits (stock, quota) hold, a device is checked in once, racing hold-shelf
operations do not deadlock, and no race ever ends in a 5xx. The database's own guard is checked
with raw SQL."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest

RACE_TIMEOUT_S = 60
LiveServer = Any  # tests/integration/conftest.py: a running `lending serve`


def unique(prefix: str) -> str:
    """A fresh code. The X keeps it from looking like Codabar (digits between A-D letters),
    whose start/stop letters the API strips from scanned codes."""
    return f"{prefix}X{uuid.uuid4().hex[:8].upper()}"


async def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return response.json()


async def add_devices(
    c: httpx.AsyncClient, server: LiveServer, n: int, kind: str, branch: str = "MAIN"
) -> list[str]:
    barcodes = [unique("D") for _ in range(n)]
    for barcode in barcodes:
        await ok(
            await c.post(
                "/api/devices",
                headers=server.admin,
                json={
                    "barcode": barcode,
                    "kind": kind,
                    "model": f"Model {kind}",
                    "serial_number": f"SN-{barcode}",
                    "branch": branch,
                },
            )
        )
    return barcodes


async def add_patrons(
    c: httpx.AsyncClient, server: LiveServer, n: int, household: str | None = None
) -> list[str]:
    cards = [unique("P") for _ in range(n)]
    for card in cards:
        await ok(
            await c.post(
                "/api/patrons",
                headers=server.admin,
                json={
                    "card_number": card,
                    "name": f"Patron {card}",
                    "household": household,
                    "branch": "MAIN",
                    "expires_on": "2099-01-01",
                },
            )
        )
    return cards


async def set_limits(
    c: httpx.AsyncClient, server: LiveServer, kind: str, patron: int, household: int
) -> None:
    await ok(
        await c.put(
            f"/api/policies/{kind}",
            headers=server.admin,
            json={
                "max_active_loans_per_patron": patron,
                "max_active_loans_per_household": household,
            },
        )
    )


async def race(server: LiveServer, path: str, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    """POST every body to `path` at once (see `race_requests`)."""
    return await race_requests(server, [("POST", path, body) for body in bodies])


async def race_requests(
    server: LiveServer, requests: list[tuple[str, str, dict[str, Any] | None]]
) -> list[httpx.Response]:
    """Send every (method, path, body) at once: one connection per request, opened beforehand,
    and all requests released together. No response may be a 5xx."""
    n = len(requests)
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=server.base_url, limits=limits, timeout=30) as c:
        # Warm up one keep-alive connection per request so they all start from the same line.
        await asyncio.gather(*(c.get("/api/health") for _ in requests))
        start = asyncio.Event()

        async def one(method: str, path: str, body: dict[str, Any] | None) -> httpx.Response:
            await start.wait()
            return await c.request(method, path, json=body, headers=server.admin)

        tasks = [asyncio.ensure_future(one(*request)) for request in requests]
        await asyncio.sleep(0)  # every task is now parked on the event
        start.set()
        async with asyncio.timeout(RACE_TIMEOUT_S):
            responses = await asyncio.gather(*tasks)
    errors = [r for r in responses if r.status_code >= 500]
    assert not errors, f"{errors[0].status_code}: {errors[0].text}\n{server.log_tail()}"
    return responses


def outcomes(responses: list[httpx.Response]) -> Counter:
    return Counter(
        (r.status_code, None if r.status_code < 400 else r.json().get("code")) for r in responses
    )


async def active_loans(c: httpx.AsyncClient, server: LiveServer, **filters: str) -> list[dict]:
    items: list[dict] = []
    for status in ("active", "overdue"):
        page = await ok(
            await c.get(
                "/api/loans",
                headers=server.admin,
                params={"status": status, **filters, "limit": 500},
            )
        )
        items += page["items"]
    return items


async def add_branch(c: httpx.AsyncClient, server: LiveServer) -> str:
    """A branch of the test's own, so its hold queues meet no other test's."""
    code = unique("B")
    await ok(
        await c.post(
            "/api/branches",
            headers=server.admin,
            json={
                "code": code,
                "name": f"Branch {code}",
                "timezone": "America/Chicago",
            },
        )
    )
    return code


async def put_on_hold_shelf(
    c: httpx.AsyncClient, server: LiveServer, device: str, patron: str, branch: str, kind: str
) -> int:
    """Lend `device` to someone else, let `patron` queue for the kind, then check the device in:
    it lands on the hold shelf for `patron`. Returns the (ready) hold's id."""
    [other] = await add_patrons(c, server, 1)
    await ok(
        await c.post(
            "/api/checkout", headers=server.admin, json={"patron": other, "device": device}
        )
    )
    hold = await ok(
        await c.post(
            "/api/holds",
            headers=server.admin,
            json={"patron": patron, "kind": kind, "branch": branch},
        )
    )
    back = await ok(await c.post("/api/checkin", headers=server.admin, json={"device": device}))
    assert back["hold"] and back["hold"]["id"] == hold["id"], (hold, back)
    assert back["device"]["status"] == "on_hold_shelf"
    return hold["id"]


@pytest.fixture
async def api(live_server: LiveServer):
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=30) as c:
        yield c


async def test_twenty_patrons_racing_for_one_device_get_exactly_one_loan(live_server, api):
    [device] = await add_devices(api, live_server, 1, "hotspot")
    patrons = await add_patrons(api, live_server, 20)

    responses = await race(
        live_server, "/api/checkout", [{"patron": p, "device": device} for p in patrons]
    )

    assert outcomes(responses) == {(201, None): 1, (409, "device_unavailable"): 19}
    winner = next(r.json()["loan"] for r in responses if r.status_code == 201)
    loans = (
        await ok(await api.get("/api/loans", headers=live_server.admin, params={"device": device}))
    )["items"]
    assert [(loan["id"], loan["patron"]) for loan in loans] == [(winner["id"], winner["patron"])]
    device_now = await ok(await api.get(f"/api/devices/{device}", headers=live_server.admin))
    assert device_now["status"] == "on_loan"


async def test_one_patron_racing_for_twenty_devices_stays_within_the_patron_limit(live_server, api):
    await set_limits(api, live_server, "laptop", patron=1, household=1)
    devices = await add_devices(api, live_server, 20, "laptop")
    [patron] = await add_patrons(api, live_server, 1)

    responses = await race(
        live_server, "/api/checkout", [{"patron": patron, "device": d} for d in devices]
    )

    assert outcomes(responses) == {(201, None): 1, (409, "loan_limit_reached"): 19}
    loans = await active_loans(api, live_server, patron=patron)
    assert len(loans) == 1
    available = (
        await ok(
            await api.get(
                "/api/devices",
                headers=live_server.admin,
                params={"kind": "laptop", "status": "available", "limit": 500},
            )
        )
    )["items"]
    assert {d["barcode"] for d in available} >= set(devices) - {loans[0]["device"]}


async def test_two_patrons_of_one_household_racing_get_one_loan_under_a_household_limit_of_one(
    live_server, api
):
    await set_limits(api, live_server, "tablet", patron=1, household=1)
    devices = await add_devices(api, live_server, 10, "tablet")
    household = unique("H")
    first, second = await add_patrons(api, live_server, 2, household=household)
    bodies = [
        {"patron": first if i % 2 == 0 else second, "device": d} for i, d in enumerate(devices)
    ]

    responses = await race(live_server, "/api/checkout", bodies)

    assert outcomes(responses) == {(201, None): 1, (409, "loan_limit_reached"): 9}
    loans = await active_loans(api, live_server, patron=first)
    loans += await active_loans(api, live_server, patron=second)
    assert len(loans) == 1


async def test_a_device_checked_in_at_two_desks_at_once_is_returned_only_once(live_server, api):
    [device] = await add_devices(api, live_server, 1, "hotspot")
    [patron] = await add_patrons(api, live_server, 1)
    await ok(
        await api.post(
            "/api/checkout", headers=live_server.admin, json={"patron": patron, "device": device}
        )
    )

    responses = await race(live_server, "/api/checkin", [{"device": device}] * 2)

    assert outcomes(responses) == {(200, None): 1, (409, "not_on_loan"): 1}
    loans = (
        await ok(await api.get("/api/loans", headers=live_server.admin, params={"device": device}))
    )["items"]
    assert [loan["status"] for loan in loans] == ["returned"]
    device_now = await ok(await api.get(f"/api/devices/{device}", headers=live_server.admin))
    assert device_now["status"] == "available"


async def test_a_device_checked_in_at_ten_desks_at_once_is_returned_only_once(live_server, api):
    [device] = await add_devices(api, live_server, 1, "hotspot")
    [patron] = await add_patrons(api, live_server, 1)
    await ok(
        await api.post(
            "/api/checkout", headers=live_server.admin, json={"patron": patron, "device": device}
        )
    )

    responses = await race(live_server, "/api/checkin", [{"device": device}] * 10)

    assert outcomes(responses) == {(200, None): 1, (409, "not_on_loan"): 9}
    winner = next(r.json() for r in responses if r.status_code == 200)
    loans = (
        await ok(await api.get("/api/loans", headers=live_server.admin, params={"device": device}))
    )["items"]
    assert [(loan["status"], loan["returned_at"]) for loan in loans] == [
        ("returned", winner["loan"]["returned_at"])
    ]


async def test_checkouts_and_checkins_racing_on_many_devices_never_fail_with_a_server_error(
    live_server, api
):
    devices = await add_devices(api, live_server, 10, "hotspot")
    patrons = await add_patrons(api, live_server, 10)
    bodies = [{"patron": p, "device": d} for p, d in zip(patrons, devices, strict=True)]

    for _ in range(3):
        out = await race(live_server, "/api/checkout", bodies + bodies)
        assert outcomes(out) == {(201, None): 10, (409, "device_unavailable"): 10}
        back = await race(live_server, "/api/checkin", [{"device": d} for d in devices] * 2)
        assert outcomes(back) == {(200, None): 10, (409, "not_on_loan"): 10}

    for device in devices:
        loans = (
            await ok(
                await api.get("/api/loans", headers=live_server.admin, params={"device": device})
            )
        )["items"]
        assert [loan["status"] for loan in loans] == ["returned"] * 3


async def test_the_database_itself_refuses_a_second_open_loan_for_a_device(live_server, api):
    [device] = await add_devices(api, live_server, 1, "hotspot")
    [patron, other] = await add_patrons(api, live_server, 2)
    loan = (
        await ok(
            await api.post(
                "/api/checkout",
                headers=live_server.admin,
                json={"patron": patron, "device": device},
            )
        )
    )["loan"]
    # A copy of the open loan for another patron, written behind the application's back.
    copy = (
        "INSERT INTO loan (device, patron, branch, kind, household, checked_out_at, due_at, "
        "renewals, status, returned_at, checked_out_by) "
        "SELECT device, (SELECT id FROM patron WHERE card_number = {p}), branch, kind, household, "
        "checked_out_at, due_at, 0, 'active', NULL, 'raw sql' FROM loan WHERE id = {id}"
    )

    if live_server.kind == "sqlite":
        path = live_server.url.removeprefix("sqlite:///")
        with (
            sqlite3.connect(path, timeout=30) as conn,
            pytest.raises(sqlite3.IntegrityError, match="UNIQUE"),
        ):
            conn.execute(copy.format(p="?", id="?"), (other, loan["id"]))
    else:
        import asyncpg

        conn = await asyncpg.connect(live_server.url)
        try:
            with pytest.raises(asyncpg.UniqueViolationError, match="loan_one_open_per_device"):
                await conn.execute(copy.format(p="$1", id="$2"), other, loan["id"])
        finally:
            await conn.close()

    loans = (
        await ok(await api.get("/api/loans", headers=live_server.admin, params={"device": device}))
    )["items"]
    assert [entry["patron"] for entry in loans] == [patron]


async def test_a_patron_taking_their_hold_shelf_device_and_another_at_once_gets_one_loan(
    live_server, api
):
    await set_limits(api, live_server, "laptop", patron=1, household=1)
    branch = await add_branch(api, live_server)
    for _ in range(4):
        shelf, other = await add_devices(api, live_server, 2, "laptop", branch=branch)
        [patron] = await add_patrons(api, live_server, 1)
        await put_on_hold_shelf(api, live_server, shelf, patron, branch, "laptop")

        responses = await race(
            live_server, "/api/checkout", [{"patron": patron, "device": d} for d in (shelf, other)]
        )

        assert sorted(r.status_code for r in responses) == [201, 409]
        assert len(await active_loans(api, live_server, patron=patron)) == 1


async def test_cancelling_a_ready_hold_while_its_device_is_checked_out_to_the_patron_is_consistent(
    live_server, api
):
    branch = await add_branch(api, live_server)
    for _ in range(4):
        [shelf] = await add_devices(api, live_server, 1, "tablet", branch=branch)
        [patron] = await add_patrons(api, live_server, 1)
        hold = await put_on_hold_shelf(api, live_server, shelf, patron, branch, "tablet")

        checkout, cancel = await race_requests(
            live_server,
            [
                ("POST", "/api/checkout", {"patron": patron, "device": shelf}),
                ("DELETE", f"/api/holds/{hold}", None),
            ],
        )

        # Either order is fine: cancelled first, the device went back to available and the
        # patron still took it; checked out first, the hold was fulfilled and cannot be cancelled.
        assert checkout.status_code == 201, checkout.text
        assert (cancel.status_code, cancel.json().get("code")) in {
            (200, None),
            (409, "hold_not_open"),
        }, cancel.text
        loans = await active_loans(api, live_server, device=shelf)
        assert [loan["patron"] for loan in loans] == [patron]


async def add_program(
    c: httpx.AsyncClient, server: LiveServer, patrons: list[str], **program: Any
) -> str:
    """A running program lending hotspots, with every one of `patrons` enrolled in it."""
    code = unique("PG")
    await ok(
        await c.post(
            "/api/programs",
            headers=server.admin,
            json={"code": code, "name": f"Program {code}", "starts_on": "2026-01-01",
                  "kinds": ["hotspot"], **program},
        )
    )  # fmt: skip
    for card in patrons:
        await ok(
            await c.post(
                f"/api/programs/{code}/enrolments",
                headers=server.admin,
                json={"patron": card, "method": "housing_lease", "attested": True},
            )
        )
    return code


async def test_twenty_enrolled_patrons_racing_for_a_programs_last_device_get_one_loan(
    live_server, api
):
    stock = await add_devices(api, live_server, 2, "hotspot")
    patrons = await add_patrons(api, live_server, 21)
    program = await add_program(api, live_server, patrons)
    await ok(
        await api.post(
            f"/api/programs/{program}/stock", headers=live_server.admin, json={"devices": stock}
        )
    )
    first, last = stock
    await ok(
        await api.post(
            "/api/checkout", headers=live_server.admin, json={"patron": patrons[0], "device": first}
        )
    )

    responses = await race(
        live_server,
        "/api/checkout",
        [{"patron": p, "device": last, "program": program} for p in patrons[1:]],
    )

    assert outcomes(responses) == {(201, None): 1, (409, "device_unavailable"): 19}
    loans = await active_loans(api, live_server, device=last)
    assert len(loans) == 1 and loans[0]["program"] == program


async def test_twenty_checkouts_racing_for_a_programs_last_quota_place_get_one_loan(
    live_server, api
):
    devices = await add_devices(api, live_server, 21, "hotspot")
    patrons = await add_patrons(api, live_server, 21)
    program = await add_program(api, live_server, patrons, terms={"hotspot": {"quota": 2}})
    await ok(
        await api.post(
            "/api/checkout",
            headers=live_server.admin,
            json={"patron": patrons[0], "device": devices[0], "program": program},
        )
    )

    responses = await race(
        live_server,
        "/api/checkout",
        [
            {"patron": p, "device": d, "program": program}
            for p, d in zip(patrons[1:], devices[1:], strict=True)
        ],
    )

    assert outcomes(responses) == {(201, None): 1, (409, "program_stock_exhausted"): 19}
    lent = [loan for p in patrons for loan in await active_loans(api, live_server, patron=p)]
    assert len(lent) == 2 and {loan["program"] for loan in lent} == {program}
