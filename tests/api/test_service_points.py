"""Service points through the API: every branch has its own desk; an admin adds a bookmobile
with a season of stops, sees its schedule and cancels one visit; bad input and other roles are
refused and nothing is written."""

from __future__ import annotations

BOOKMOBILE = {
    "code": "BM1",
    "name": "Bookmobile 1",
    "type": "bookmobile",
    "branch": "MAIN",
    "address": "Garage, 400 S State St",
}
# Every other Tuesday from the first Tuesday on or after 2027-03-01 (a Monday): 03-02, 03-16 ...
STOP = {
    "place": "Cabrini Homes, community room",
    "weekday": "tue",
    "starts": "10:00",
    "ends": "12:30",
    "season_starts": "2027-03-01",
    "season_ends": "2027-05-31",
    "every_weeks": 2,
}


async def _bookmobile_with_stop(api) -> int:
    admin = api.headers["admin"]
    r = await api.as_(admin, "POST", "/api/service-points", json=BOOKMOBILE)
    assert r.status_code == 201, r.text
    r = await api.as_(admin, "POST", "/api/service-points/BM1/stops", json=STOP)
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def test_every_branch_has_its_own_desk_as_a_service_point(api, library):
    r = await api.as_(api.headers["desk"], "GET", "/api/service-points?type=branch")
    assert r.status_code == 200, r.text
    points = {p["code"]: p for p in r.json()["items"]}
    assert set(points) == {"MAIN", "EAST"}
    assert points["EAST"]["timezone"] == "America/New_York"
    assert points["EAST"]["own_timezone"] is None
    assert points["MAIN"]["branch"] == "MAIN" and points["MAIN"]["stops"] == []


async def test_an_admin_adds_a_bookmobile_and_its_stops_make_a_schedule(api, library):
    stop = await _bookmobile_with_stop(api)
    r = await api.as_(api.headers["desk"], "GET", "/api/service-points/BM1")
    assert r.status_code == 200, r.text
    point = r.json()
    assert point["type"] == "bookmobile" and point["timezone"] == "America/Chicago"
    assert point["stops"][0]["weekday"] == "tue" and point["stops"][0]["every_weeks"] == 2

    r = await api.as_(
        api.headers["desk"],
        "GET",
        "/api/service-points/BM1/schedule?start=2027-02-20&end=2027-04-10",
    )
    assert r.status_code == 200, r.text
    days = [v["date"] for v in r.json()["visits"]]
    assert days == ["2027-03-02", "2027-03-16", "2027-03-30"]
    assert r.json()["visits"][0] == {
        "date": "2027-03-02",
        "stop": stop,
        "place": STOP["place"],
        "starts": "10:00",
        "ends": "12:30",
        "cancelled": False,
    }


async def test_a_cancelled_visit_is_marked_in_the_schedule_and_audited(api, library, problem_code):
    admin = api.headers["admin"]
    stop = await _bookmobile_with_stop(api)
    path = f"/api/service-points/BM1/stops/{stop}/cancellations"
    r = await api.as_(admin, "POST", path, json={"date": "2027-03-16", "reason": "Van in repair"})
    assert r.status_code == 201, r.text
    r = await api.as_(admin, "POST", path, json={"date": "2027-03-16"})
    assert problem_code(r, 409) == "stop_already_cancelled"
    r = await api.as_(admin, "POST", path, json={"date": "2027-03-09"})  # an off week
    assert problem_code(r, 422) == "validation_error"

    r = await api.as_(
        admin, "GET", "/api/service-points/BM1/schedule?start=2027-03-01&end=2027-03-31"
    )
    assert [(v["date"], v["cancelled"]) for v in r.json()["visits"]] == [
        ("2027-03-02", False),
        ("2027-03-16", True),
        ("2027-03-30", False),
    ]
    events = (await api.as_(admin, "GET", "/api/events?subject=BM1")).json()["items"]
    assert {"service_point_created", "stop_added", "stop_cancelled"} <= {
        e["action"] for e in events
    }


async def test_a_partner_site_keeps_weekly_hours_and_its_own_time_zone(api, library):
    admin = api.headers["admin"]
    r = await api.as_(
        admin,
        "POST",
        "/api/service-points",
        json={
            "code": "CHA-ALTGELD",
            "name": "Altgeld Gardens resource center",
            "type": "partner_site",
            "branch": "EAST",
            "hours": {"wed": [["16:00", "19:00"]], "mon": [["09:00", "12:00"], ["13:00", "17:00"]]},
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["hours"] == {
        "mon": [["09:00", "12:00"], ["13:00", "17:00"]],
        "wed": [["16:00", "19:00"]],
    }
    assert r.json()["timezone"] == "America/New_York"
    r = await api.as_(
        admin,
        "PATCH",
        "/api/service-points/CHA-ALTGELD",
        json={"timezone": "America/Chicago", "active": False},
    )
    assert r.status_code == 200, r.text
    assert r.json()["own_timezone"] == "America/Chicago" and r.json()["active"] is False
    r = await api.as_(admin, "PATCH", "/api/service-points/CHA-ALTGELD", json={"timezone": None})
    assert r.json()["timezone"] == "America/New_York"


async def test_bad_service_point_requests_get_clear_errors_and_write_nothing(
    api, library, problem_code
):
    admin = api.headers["admin"]
    bad = [
        {**BOOKMOBILE, "type": "spaceship"},
        {**BOOKMOBILE, "type": "branch"},
        {**BOOKMOBILE, "branch": "NOWHERE"},
        {**BOOKMOBILE, "code": ""},
        {**BOOKMOBILE, "code": "has space"},
        {**BOOKMOBILE, "name": "x" * 201},
        {**BOOKMOBILE, "timezone": "Mars/Olympus"},
        {**BOOKMOBILE, "hours": {"tue": [["10:00", "12:00"]]}},  # a vehicle has stops
        {**BOOKMOBILE, "type": "locker", "hours": {"tue": [["12:00", "10:00"]]}},
        {**BOOKMOBILE, "type": "locker", "hours": {"funday": [["10:00", "12:00"]]}},
        {**BOOKMOBILE, "type": "locker", "hours": "always"},
        {**BOOKMOBILE, "extra": 1},
    ]
    for body in bad:
        r = await api.as_(admin, "POST", "/api/service-points", json=body)
        assert r.status_code == 422, (body, r.text)
    r = await api.client.post(
        "/api/service-points",
        content=b"{not json",
        headers={**admin, "content-type": "application/json"},
    )
    assert problem_code(r, 400) == "malformed_json"
    r = await api.as_(admin, "POST", "/api/service-points", json={**BOOKMOBILE, "code": "MAIN"})
    assert problem_code(r, 409) == "duplicate_service_point"
    r = await api.as_(admin, "GET", "/api/service-points?type=bookmobile")
    assert r.json() == {"items": [], "total": 0}

    await _bookmobile_with_stop(api)
    for body in [
        {**STOP, "weekday": "tuesday"},
        {**STOP, "starts": "13:00", "ends": "12:00"},
        {**STOP, "starts": "25:00"},
        {**STOP, "season_ends": "2027-02-01"},
        {**STOP, "every_weeks": 0},
        {**STOP, "place": "   "},
        {**STOP, "season_starts": "2027-03-03", "season_ends": "2027-03-08"},  # no Tuesday
    ]:
        r = await api.as_(admin, "POST", "/api/service-points/BM1/stops", json=body)
        assert r.status_code == 422, (body, r.text)
    r = await api.as_(admin, "POST", "/api/service-points/MAIN/stops", json=STOP)
    assert problem_code(r, 422) == "validation_error"
    r = await api.as_(admin, "POST", "/api/service-points/NOPE/stops", json=STOP)
    assert problem_code(r, 404) == "service_point_not_found"
    r = await api.as_(admin, "DELETE", "/api/service-points/BM1/stops/999999")
    assert problem_code(r, 404) == "stop_not_found"
    r = await api.as_(
        admin, "GET", "/api/service-points/BM1/schedule?start=2027-01-01&end=2028-12-31"
    )
    assert problem_code(r, 422) == "validation_error"
    assert len((await api.as_(admin, "GET", "/api/service-points/BM1")).json()["stops"]) == 1


async def test_only_admins_change_service_points(api, library, problem_code):
    desk = api.headers["desk"]
    r = await api.as_(desk, "POST", "/api/service-points", json=BOOKMOBILE)
    assert problem_code(r, 403) == "forbidden"
    stop = await _bookmobile_with_stop(api)
    for method, path, body in [
        ("PATCH", "/api/service-points/BM1", {"name": "Renamed"}),
        ("POST", "/api/service-points/BM1/stops", STOP),
        ("DELETE", f"/api/service-points/BM1/stops/{stop}", None),
        ("POST", f"/api/service-points/BM1/stops/{stop}/cancellations", {"date": "2027-03-02"}),
    ]:
        r = await api.as_(desk, method, path, json=body)
        assert problem_code(r, 403) == "forbidden", (method, path)
    r = await api.client.get("/api/service-points")
    assert r.status_code == 401
    r = await api.as_(api.headers["admin"], "DELETE", f"/api/service-points/BM1/stops/{stop}")
    assert r.status_code == 200, r.text
    assert (await api.as_(desk, "GET", "/api/service-points/BM1")).json()["stops"] == []


async def _stop_every_other_tuesday_from_today(api) -> int:
    """The pinned clock is Tuesday 2026-12-01, 10:00 in Chicago: the bookmobile is at its stop."""
    r = await api.as_(api.headers["admin"], "POST", "/api/service-points", json=BOOKMOBILE)
    assert r.status_code == 201, r.text
    stop = {**STOP, "season_starts": "2026-12-01", "season_ends": None}
    r = await api.as_(api.headers["admin"], "POST", "/api/service-points/BM1/stops", json=stop)
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def _checkout_at(api, point: str, device: str, patron: str):
    return await api.as_(
        api.headers["desk"],
        "POST",
        "/api/checkout",
        json={"patron": patron, "device": device, "service_point": point},
    )


async def test_a_loan_from_the_bookmobile_is_due_when_it_is_back_at_the_stop(api, library):
    stop = await _stop_every_other_tuesday_from_today(api)
    # 21 days from Tue 1 Dec is Tue 22 Dec, an off week: the next visit is Tue 29 Dec.
    r = await _checkout_at(api, "BM1", "DEV001", "P003")
    assert r.status_code == 201, r.text
    loan = r.json()["loan"]
    assert loan["due_at"] == "2026-12-29T23:59:59-06:00"
    assert loan["service_point"] == "BM1"

    # The 29 Dec visit is cancelled: the next loan is due at the visit after it.
    r = await api.as_(
        api.headers["admin"],
        "POST",
        f"/api/service-points/BM1/stops/{stop}/cancellations",
        json={"date": "2026-12-29", "reason": "Holiday week"},
    )
    assert r.status_code == 201, r.text
    r = await _checkout_at(api, "BM1", "DEV004", "P001")
    assert r.status_code == 201, r.text
    # Laptops: 14 days from 1 Dec is Tue 15 Dec, a visit.
    assert r.json()["loan"]["due_at"] == "2026-12-15T23:59:59-06:00"
    loans = (await api.as_(api.headers["desk"], "GET", "/api/loans?patron=P003")).json()
    assert loans["items"][0]["service_point"] == "BM1"


async def test_a_closed_day_and_a_cancelled_visit_both_move_a_bookmobile_due_date(api, library):
    stop = await _stop_every_other_tuesday_from_today(api)
    admin = api.headers["admin"]
    await api.as_(
        admin, "POST", "/api/branches/MAIN/closures", json={"date": "2026-12-29", "reason": "X"}
    )
    await api.as_(
        admin,
        "POST",
        f"/api/service-points/BM1/stops/{stop}/cancellations",
        json={"date": "2027-01-12"},
    )
    r = await _checkout_at(api, "BM1", "DEV001", "P003")
    assert r.status_code == 201, r.text
    assert r.json()["loan"]["due_at"] == "2027-01-26T23:59:59-06:00"


async def test_a_loan_at_a_partner_site_records_it_and_keeps_the_policy_due_date(
    api, library, problem_code
):
    r = await api.as_(
        api.headers["admin"],
        "POST",
        "/api/service-points",
        json={"code": "CHA-1", "name": "CHA site", "type": "partner_site", "branch": "MAIN"},
    )
    assert r.status_code == 201, r.text
    r = await _checkout_at(api, "CHA-1", "DEV001", "P003")
    assert r.status_code == 201, r.text
    assert r.json()["loan"]["due_at"] == "2026-12-22T23:59:59-06:00"
    assert r.json()["loan"]["service_point"] == "CHA-1"

    r = await _checkout_at(api, "NOWHERE", "DEV002", "P001")
    assert problem_code(r, 422) == "validation_error"
    await api.as_(
        api.headers["admin"], "PATCH", "/api/service-points/CHA-1", json={"active": False}
    )
    r = await _checkout_at(api, "CHA-1", "DEV002", "P001")
    assert problem_code(r, 422) == "validation_error"
    r = await _checkout_at(api, "has space", "DEV002", "P001")
    assert r.status_code == 422
    device = (await api.as_(api.headers["desk"], "GET", "/api/devices/DEV002")).json()
    assert device["status"] == "available"


async def test_a_cancelled_visit_moves_its_ready_holds_to_the_branch_and_tells_the_patron(
    api, library, clock, problem_code
):
    from lending.tables import Notice

    admin, desk = api.headers["admin"], api.headers["desk"]
    r = await api.as_(admin, "POST", "/api/service-points", json=BOOKMOBILE)
    assert r.status_code == 201, r.text
    weekly = {**STOP, "season_starts": "2026-12-01", "season_ends": None, "every_weeks": 1}
    stop = (await api.as_(admin, "POST", "/api/service-points/BM1/stops", json=weekly)).json()
    r = await api.as_(admin, "PUT", "/api/policies/laptop", json={"hold_pickup_days": 10})
    assert r.status_code == 200, r.text
    r = await api.as_(
        desk,
        "POST",
        "/api/holds",
        json={"patron": "P002", "kind": "laptop", "branch": "EAST", "pickup_point": "BM1"},
    )
    assert problem_code(r, 422) == "validation_error"  # BM1 belongs to MAIN
    r = await api.as_(
        desk,
        "POST",
        "/api/holds",
        json={"patron": "P003", "kind": "laptop", "branch": "MAIN", "pickup_point": "BM1"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["pickup_point"] == "BM1"
    hold = r.json()["id"]
    r = await api.as_(desk, "POST", "/api/checkout", json={"patron": "P001", "device": "DEV004"})
    assert r.status_code == 201, r.text
    r = await api.as_(desk, "POST", "/api/checkin", json={"device": "DEV004"})
    assert r.status_code == 200, r.text
    ready = (await api.as_(desk, "GET", "/api/holds?status=ready")).json()["items"]
    assert [(h["id"], h["pickup_point"]) for h in ready] == [(hold, "BM1")]
    before = ready[0]["ready_until"]

    clock.advance(days=1)  # tokens last 12 hours: log in again
    admin = await api.login(username="admin", password="correct-horse")
    desk = await api.login(username="desk", password="correct-horse")
    r = await api.as_(
        admin,
        "POST",
        f"/api/service-points/BM1/stops/{stop['id']}/cancellations",
        json={"date": "2026-12-08", "reason": "Snow"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["holds_moved"] == 1
    moved = (await api.as_(desk, "GET", "/api/holds?status=ready")).json()["items"][0]
    assert moved["pickup_point"] is None and moved["branch"] == "MAIN"
    assert moved["ready_until"] > before
    notices = await Notice.select(Notice.kind, Notice.hold).where(Notice.kind == "hold_moved")
    assert notices == [{"kind": "hold_moved", "hold": hold}]
