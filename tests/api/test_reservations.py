"""Reservations: a class books laptops for a time window at a service point, and walk-up loans
live beside it. The kind's rules (lead time, maximum length, buffer, set-aside time, no-show
wait), the pull list, setting aside, pickup as one loan per device due at the window's end,
return by checkin, no-shows, and a set-aside device that is overdue or damaged replaced."""

from __future__ import annotations

from typing import Any

import pytest

# The `clock` fixture: 2026-12-01 10:00 in Chicago.
START = "2026-12-04T10:00:00-06:00"
END = "2026-12-04T12:00:00-06:00"


async def _laptops(api, *barcodes: str) -> None:
    for barcode in barcodes:
        r = await api.as_(
            api.headers["admin"],
            "POST",
            "/api/devices",
            json={
                "barcode": barcode,
                "kind": "laptop",
                "model": "Chromebook",
                "serial_number": "SN" + barcode,
                "branch": "MAIN",
            },
        )
        assert r.status_code == 201, r.text


async def _rules(api, **rules: int) -> dict[str, Any]:
    r = await api.as_(api.headers["admin"], "PUT", "/api/policies/laptop/reservations", json=rules)
    assert r.status_code == 200, r.text
    return r.json()


async def _book(api, who: str = "desk", **body: Any):
    payload = {
        "service_point": "MAIN",
        "kind": "laptop",
        "starts_at": START,
        "ends_at": END,
        "event": "Digital skills class",
        **body,
    }
    return await api.as_(api.headers[who], "POST", "/api/reservations", json=payload)


async def _booked(api, **body: Any) -> dict[str, Any]:
    r = await _book(api, **body)
    assert r.status_code == 201, r.text
    return r.json()


async def _run_job(api, now: str) -> dict[str, Any]:
    r = await api.as_(api.headers["admin"], "POST", "/api/jobs/reservations/run", json={"now": now})
    assert r.status_code == 200, r.text
    return r.json()["summary"]


async def _get(api, reservation_id: int) -> dict[str, Any]:
    r = await api.as_(api.headers["desk"], "GET", f"/api/reservations/{reservation_id}")
    assert r.status_code == 200, r.text
    return r.json()


async def _device(api, barcode: str) -> dict[str, Any]:
    return (await api.as_(api.headers["desk"], "GET", f"/api/devices/{barcode}")).json()


async def test_a_reservation_inside_the_lead_time_or_longer_than_the_maximum_is_refused(
    api, library, problem_code
):
    rules = await _rules(api, lead_time_hours=96, max_length_hours=4)
    assert rules["lead_time_hours"] == 96 and rules["buffer_minutes"] == 60  # the rest kept
    r = await _book(api, quantity=1)  # 72 hours ahead
    assert problem_code(r, 409) == "reservation_lead_time"
    assert r.json()["facts"]["lead_time_hours"] == 96
    await _rules(api, lead_time_hours=24)
    r = await _book(api, quantity=1, ends_at="2026-12-04T15:00:00-06:00")
    assert problem_code(r, 409) == "reservation_too_long"
    reservation = await _booked(api, quantity=1)
    assert reservation["status"] == "confirmed" and reservation["quantity"] == 1
    assert reservation["free_at"].startswith("2026-12-04T13:00:00")  # the end plus the buffer
    assert reservation["set_aside_at"].startswith("2026-12-03T10:00:00")


async def test_the_pool_and_the_buffer_decide_whether_another_booking_fits(
    api, library, problem_code
):
    await _booked(api, quantity=2)  # both laptops, 10:00-12:00, free again at 13:00
    r = await _book(api, quantity=1, starts_at="2026-12-04T12:30:00-06:00",
                    ends_at="2026-12-04T14:00:00-06:00")  # fmt: skip
    assert problem_code(r, 409) == "reservation_unavailable"
    assert r.json()["facts"]["free"] == 0
    later = await _booked(
        api, quantity=2, starts_at="2026-12-04T13:00:00-06:00", ends_at="2026-12-04T14:00:00-06:00"
    )
    assert later["status"] == "confirmed"
    availability = (
        await api.as_(
            api.headers["desk"],
            "GET",
            "/api/reservations/availability?kind=laptop&service_point=MAIN&start=2026-12-04&days=2",
        )
    ).json()
    assert availability["pool"] == 2
    assert [d["fewest_free"] for d in availability["days"]] == [0, 2]
    assert len(availability["days"][0]["reservations"]) == 2


async def test_a_walk_up_checkout_is_due_back_before_a_reservation_that_needs_its_device(
    api, library, problem_code
):
    reservation = await _booked(api, quantity=2)
    r = await api.as_(
        api.headers["desk"], "POST", "/api/checkout", json={"patron": "P003", "device": "DEV004"}
    )
    assert r.status_code == 201, r.text
    reply = r.json()
    # 14 days by the policy; due at 09:00 on the day of the class instead (10:00 less the buffer).
    assert reply["loan"]["due_at"].startswith("2026-12-04T09:00:00")
    assert reply["loan"]["shortened_for"] == reservation["id"]
    assert reply["shortened"]["event"] == "Digital skills class"
    assert reply["shortened"]["due_at_otherwise"].startswith("2026-12-15")
    receipt = await api.as_(
        api.headers["desk"], "GET", f"/api/loans/{reply['loan']['id']}/receipt.html"
    )
    assert "Due early" in receipt.text
    # The patron sees it too, on their own page (in their language).
    client = api.client
    await client.get("/my/login")
    client.headers["x-csrftoken"] = client.cookies.get("lending_csrf")
    r = await client.post("/my/login", data={"card_number": "P003", "pin": "1234"})
    assert r.status_code == 303, r.text
    assert "Due early" in (await client.get("/my")).text
    # Renewing it would take the laptop past the class: refused.
    r = await api.as_(api.headers["desk"], "POST", f"/api/loans/{reply['loan']['id']}/renew")
    assert problem_code(r, 409) == "device_reserved"


async def test_a_walk_up_checkout_is_refused_when_the_reservation_starts_too_soon(
    api, library, problem_code, clock
):
    await _rules(api, lead_time_hours=0, set_aside_hours=0)
    await _booked(
        api, quantity=2, starts_at="2026-12-01T11:30:00-06:00", ends_at="2026-12-01T13:00:00-06:00"
    )
    r = await api.as_(
        api.headers["desk"], "POST", "/api/checkout", json={"patron": "P003", "device": "DEV005"}
    )
    assert problem_code(r, 409) == "device_reserved"
    assert r.json()["facts"]["reservation"] is not None
    # Hotspots are not booked: they lend as usual.
    r = await api.as_(
        api.headers["desk"], "POST", "/api/checkout", json={"patron": "P003", "device": "DEV001"}
    )
    assert r.status_code == 201 and r.json()["loan"]["shortened_for"] is None


async def test_devices_are_set_aside_on_the_pull_list_then_lent_to_the_event_and_returned(
    api, library, problem_code, clock
):
    await _laptops(api, "LAP1")
    reservation = await _booked(api, quantity=2, responsible="Ms. Rivera")
    assert reservation["responsible"] == "Ms. Rivera"
    # Before the set-aside time nothing is pulled.
    summary = await _run_job(api, "2026-12-02T10:00:00-06:00")
    assert summary["checked"] == 0
    summary = await _run_job(api, "2026-12-03T10:05:00-06:00")
    assert (summary["checked"], summary["ready"], summary["short"]) == (1, 1, 0)
    ready = await _get(api, reservation["id"])
    assert ready["status"] == "ready" and ready["set_aside"] == 2
    aside = sorted(u["device"] for u in ready["units"])
    assert aside == ["DEV004", "DEV005"]
    assert [(await _device(api, b))["status"] for b in aside] == ["set_aside"] * 2
    pull = (
        await api.as_(
            api.headers["desk"], "GET", "/api/reservations/pull-list?days=7&service_point=MAIN"
        )
    ).json()
    assert [p["id"] for p in pull["reservations"]] == [reservation["id"]]
    # A set-aside laptop is not lent to a walk-up patron; the third laptop is.
    clock.now = clock.now.replace(day=3)
    api.headers["desk"] = await api.login(username="desk", password="correct-horse")
    r = await api.as_(
        api.headers["desk"], "POST", "/api/checkout", json={"patron": "P003", "device": "DEV004"}
    )
    assert problem_code(r, 409) == "device_reserved"
    # Pickup: the teacher takes DEV004 and the free LAP1 in place of DEV005.
    clock.now = clock.now.replace(day=4, hour=15, minute=50)  # 09:50 in Chicago
    api.headers["desk"] = await api.login(username="desk", password="correct-horse")
    r = await api.as_(
        api.headers["desk"],
        "POST",
        f"/api/reservations/{reservation['id']}/pickup",
        json={"devices": ["DEV004", "LAP1"]},
    )
    assert r.status_code == 200, r.text
    picked = r.json()
    assert picked["reservation"]["status"] == "picked_up" and picked["reservation"]["out"] == 2
    assert {loan["device"] for loan in picked["loans"]} == {"DEV004", "LAP1"}
    assert all(loan["due_at"].startswith("2026-12-04T12:00:00") for loan in picked["loans"])
    assert all(loan["reservation"] == reservation["id"] for loan in picked["loans"])
    assert (await _device(api, "DEV005"))["status"] == "available"  # LAP1 stood in for it
    r = await api.as_(
        api.headers["desk"],
        "POST",
        f"/api/reservations/{reservation['id']}/pickup",
        json={"devices": ["DEV005"]},
    )
    assert problem_code(r, 409) == "reservation_complete"
    # Return by checkin: the reservation is returned when both are back.
    for barcode in ("DEV004", "LAP1"):
        r = await api.as_(api.headers["desk"], "POST", "/api/checkin", json={"device": barcode})
        assert r.status_code == 200, r.text
    done = await _get(api, reservation["id"])
    assert done["status"] == "returned" and done["returned"] == 2


async def test_a_reservation_nobody_picks_up_is_a_no_show_and_its_devices_go_back(
    api, library, clock
):
    await _rules(api, auto_cancel_minutes=45)
    reservation = await _booked(api, quantity=1)
    await _run_job(api, "2026-12-04T09:00:00-06:00")
    unit = (await _get(api, reservation["id"]))["units"][0]
    assert (await _device(api, unit["device"]))["status"] == "set_aside"
    summary = await _run_job(api, "2026-12-04T10:30:00-06:00")
    assert summary["no_shows"] == 0
    summary = await _run_job(api, "2026-12-04T10:46:00-06:00")
    assert summary["no_shows"] == 1 and summary["released"] == 1
    gone = await _get(api, reservation["id"])
    assert gone["status"] == "no_show" and gone["units"][0]["status"] == "released"
    assert (await _device(api, unit["device"]))["status"] == "available"


async def test_an_overdue_named_device_is_replaced_and_staff_are_told_when_none_is_left(
    api, library, clock
):
    # DEV004 is lent now, due in 14 days: it cannot be named for the class.
    r = await api.as_(
        api.headers["desk"], "POST", "/api/checkout", json={"patron": "P003", "device": "DEV004"}
    )
    assert r.status_code == 201
    r = await _book(api, devices=["DEV004"])
    assert r.json()["code"] == "reservation_unavailable"
    # Booked far ahead, DEV004 named; the loan is overdue when the set-aside time comes.
    await _rules(api, max_length_hours=100)
    reservation = await _booked(
        api,
        devices=["DEV004"],
        starts_at="2026-12-20T10:00:00-06:00",
        ends_at="2026-12-20T12:00:00-06:00",
    )
    summary = await _run_job(api, "2026-12-19T10:30:00-06:00")
    assert summary["ready"] == 1
    unit = (await _get(api, reservation["id"]))["units"][0]
    assert unit["device"] == "DEV005" and unit["status"] == "set_aside"
    assert "replaces DEV004 (overdue)" in unit["note"]
    # DEV005 is damaged on the shelf and goes to repair: no other laptop is free.
    r = await api.as_(
        api.headers["desk"],
        "POST",
        "/api/devices/DEV005/maintenance",
        json={"problem": "Cracked screen"},
    )
    assert r.status_code == 201, r.text
    summary = await _run_job(api, "2026-12-19T11:00:00-06:00")
    assert summary["short"] == 1
    short = await _get(api, reservation["id"])
    assert short["status"] == "confirmed" and short["short"] == 1
    assert "no other laptop is free" in short["units"][0]["note"]
    events = (
        await api.as_(api.headers["admin"], "GET", "/api/events?action=reservation_short")
    ).json()
    assert events["total"] == 1
    from lending.services.reports.dashboard import dashboard

    assert (await dashboard(clock.now, "America/Chicago")).reservations_short == 1
    # The overdue laptop comes back: it is set aside for the class at checkin.
    clock.now = clock.now.replace(day=19, hour=18)
    api.headers["desk"] = await api.login(username="desk", password="correct-horse")
    r = await api.as_(api.headers["desk"], "POST", "/api/checkin", json={"device": "DEV004"})
    assert r.status_code == 200, r.text
    assert r.json()["set_aside"]["reservation"] == reservation["id"]
    assert r.json()["device"]["status"] == "set_aside"
    back = await _get(api, reservation["id"])
    assert back["status"] == "ready" and back["short"] == 0


async def test_partner_staff_request_a_reservation_that_staff_confirm_and_see_only_theirs(
    api, library, problem_code
):
    admin = api.headers["admin"]
    r = await api.as_(admin, "POST", "/api/partners", json={"code": "HA", "name": "Housing"})
    assert r.status_code == 201, r.text
    site = {"code": "HA1", "name": "Housing site", "type": "partner_site", "branch": "MAIN"}
    assert (await api.as_(admin, "POST", "/api/service-points", json=site)).status_code == 201
    program = {
        "code": "CH",
        "name": "ConnectHome",
        "starts_on": "2026-01-01",
        "kinds": ["laptop"],
        "partners": ["HA"],
        "points": ["HA1"],
    }
    r = await api.as_(admin, "POST", "/api/programs", json=program)
    assert r.status_code == 201, r.text
    api.headers["partner"] = await api.staff("coach", "partner", partner="HA")
    r = await _book(api, who="partner", quantity=1)  # at MAIN: not their site
    assert problem_code(r, 403) == "forbidden"
    requested = await _booked(api, quantity=1, service_point="HA1", who="partner")
    assert requested["status"] == "requested" and requested["partner"] == "HA"
    assert requested["responsible"] == "coach"
    staff_own = await _booked(api, quantity=1)
    seen = (await api.as_(api.headers["partner"], "GET", "/api/reservations")).json()
    assert [x["id"] for x in seen["items"]] == [requested["id"]]
    r = await api.as_(api.headers["partner"], "GET", f"/api/reservations/{staff_own['id']}")
    assert problem_code(r, 404) == "reservation_not_found"
    r = await api.as_(
        api.headers["partner"], "POST", f"/api/reservations/{requested['id']}/confirm"
    )
    assert problem_code(r, 403) == "forbidden"
    r = await api.as_(api.headers["desk"], "POST", f"/api/reservations/{requested['id']}/confirm")
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    r = await api.as_(api.headers["desk"], "POST", f"/api/reservations/{requested['id']}/confirm")
    assert problem_code(r, 409) == "reservation_not_open"
    r = await api.as_(
        api.headers["partner"],
        "POST",
        f"/api/reservations/{requested['id']}/cancel",
        json={"reason": "Class moved"},
    )
    assert r.status_code == 200 and r.json()["status"] == "cancelled"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"quantity": 1, "ends_at": "2026-12-04T09:00:00-06:00"}, "ends_at"),
        ({"quantity": 0}, "quantity"),
        ({}, "quantity"),
        ({"quantity": 1, "starts_at": "2026-12-04T10:00:00"}, "starts_at"),  # no UTC offset
        ({"quantity": 1, "service_point": "NOPE"}, "service_point"),
        ({"quantity": 1, "event": ""}, "event"),
        ({"quantity": 1, "event": "x" * 201}, "event"),
        ({"devices": ["NOPE"]}, "devices"),
        ({"devices": ["DEV004", "DEV004"]}, "devices"),
        ({"quantity": 1, "devices": ["DEV004", "DEV005"]}, "quantity"),
        ({"quantity": 1, "patron": "NOBODY"}, "patron"),
        ({"quantity": 1, "kind": "toaster"}, "kind"),
    ],
)
async def test_a_bad_booking_is_a_422_naming_the_field_and_nothing_is_booked(
    api, library, problem_code, body, field
):
    r = await _book(api, **body)
    assert problem_code(r, 422) == "validation_error", r.text
    assert field in r.text
    listed = (await api.as_(api.headers["desk"], "GET", "/api/reservations")).json()
    assert listed["total"] == 0


async def test_devices_an_event_keeps_past_its_end_are_overdue_and_the_jobs_chase_them(
    api, library, clock
):
    reservation = await _booked(api, quantity=1, patron="P003")
    assert reservation["responsible"] == "Cy" and reservation["patron"] == "P003"
    clock.now = clock.now.replace(day=4, hour=15, minute=55)
    api.headers["desk"] = await api.login(username="desk", password="correct-horse")
    api.headers["admin"] = await api.login(username="admin", password="correct-horse")
    r = await api.as_(
        api.headers["desk"],
        "POST",
        f"/api/reservations/{reservation['id']}/pickup",
        json={"devices": ["DEV004"]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["loans"][0]["patron"] == "P003"
    for job in ("reservations", "due_soon", "overdue", "suspend_lines", "mark_lost"):
        r = await api.as_(
            api.headers["admin"],
            "POST",
            f"/api/jobs/{job}/run",
            json={"now": "2027-02-01T10:00:00-06:00"},
        )
        assert r.status_code == 200, (job, r.text)
    loans = (
        await api.as_(api.headers["desk"], "GET", "/api/loans?device=DEV004&status=lost")
    ).json()
    assert loans["total"] == 1
    assert (await _get(api, reservation["id"]))["status"] == "picked_up"
