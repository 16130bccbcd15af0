"""Reservations under truly concurrent requests, through HTTP against a real server (two worker
processes), on SQLite and PostgreSQL: two bookings racing for the last laptops get one
confirmed and one refused; walk-up checkouts racing a booking for the last unit never leave the
booking without its devices; no race ends in a 5xx."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from test_concurrency import add_branch, add_devices, add_patrons, ok, outcomes, race_requests


@pytest.fixture
async def api(live_server):
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=30) as c:
        yield c


def _window(days: int = 3) -> tuple[str, str]:
    """A class window a few days from now (the live server runs on the real clock)."""
    start = (datetime.now(UTC) + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    return start.isoformat(), (start + timedelta(hours=2)).isoformat()


def _booking(branch: str, quantity: int, event: str) -> dict:
    starts_at, ends_at = _window()
    return {
        "service_point": branch,
        "kind": "laptop",
        "quantity": quantity,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "event": event,
    }


async def test_two_bookings_racing_for_the_last_twenty_laptops_get_one_confirmed(live_server, api):
    branch = await add_branch(api, live_server)
    await add_devices(api, live_server, 20, "laptop", branch=branch)

    responses = await race_requests(
        live_server,
        [
            ("POST", "/api/reservations", _booking(branch, 20, "Class A")),
            ("POST", "/api/reservations", _booking(branch, 20, "Class B")),
        ],
    )

    assert outcomes(responses) == {(201, None): 1, (409, "reservation_unavailable"): 1}
    booked = await ok(
        await api.get(
            "/api/reservations", headers=live_server.admin, params={"service_point": branch}
        )
    )
    assert [r["quantity"] for r in booked["items"]] == [20]


async def test_walk_up_checkouts_racing_a_booking_never_leave_it_short(live_server, api):
    branch = await add_branch(api, live_server)
    laptops = await add_devices(api, live_server, 3, "laptop", branch=branch)
    patrons = await add_patrons(api, live_server, 3)

    requests = [("POST", "/api/reservations", _booking(branch, 3, "Class"))] + [
        ("POST", "/api/checkout", {"patron": p, "device": d})
        for p, d in zip(patrons, laptops, strict=True)
    ]
    responses = await race_requests(live_server, requests)

    booking, checkouts = responses[0], responses[1:]
    starts_at = datetime.fromisoformat(_booking(branch, 3, "x")["starts_at"])
    lent = [r.json()["loan"] for r in checkouts if r.status_code == 201]
    if booking.status_code == 201:
        # Every laptop lent beside it is due back, with the hour's buffer, before the class.
        for loan in lent:
            due = datetime.fromisoformat(loan["due_at"])
            assert due <= starts_at - timedelta(hours=1), loan
            assert loan["shortened_for"] == booking.json()["id"]
    else:
        # The booking came after the loans: it was refused because they take the laptops.
        assert booking.json()["code"] == "reservation_unavailable"
        assert lent, "a booking is refused only when loans take its devices"
    assert all(r.status_code in (201, 409) for r in checkouts)
    availability = await ok(
        await api.get(
            "/api/reservations/availability",
            headers=live_server.admin,
            params={"kind": "laptop", "branch": branch, "start": starts_at.date().isoformat(),
                    "days": 1},
        )
    )  # fmt: skip
    assert min(step["free"] for step in availability["steps"]) >= 0
