"""The service point pages, in-process (no browser): an admin adds a partner site with weekly
hours and a bookmobile with a stop, sees the coming visits and cancels one; bad input shows an
error next to its field and writes nothing; desk staff can read but not change."""

from __future__ import annotations

import pytest
from test_admin_people_forms import LONG, Pages, field_error


@pytest.fixture
async def pages(client, api, library) -> Pages:
    pages = Pages(client)
    assert await pages.log_in() == 303
    return pages


async def test_an_admin_adds_a_partner_site_with_weekly_hours(pages, api):
    r = await pages.post(
        "/admin/service-points",
        {"code": "CHA-1", "name": "Altgeld Gardens", "type": "partner_site", "branch": "MAIN",
         "address": "", "timezone": "", "hours_mon": "9:00-12:00, 13:00-17:00",
         "hours_wed": "16:00-19:00"},
    )  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == "/admin/service-points/CHA-1"
    point = (await api.as_(api.headers["admin"], "GET", "/api/service-points/CHA-1")).json()
    assert point["hours"] == {"mon": [["09:00", "12:00"], ["13:00", "17:00"]],
                              "wed": [["16:00", "19:00"]]}  # fmt: skip
    page = await pages.get("/admin/service-points/CHA-1")
    assert page.status_code == 200 and "Altgeld Gardens" in page.text
    assert 'value="09:00-12:00, 13:00-17:00"' in page.text

    r = await pages.post("/admin/service-points/CHA-1/hours", {"hours_tue": "17:00-09:00"})
    assert r.status_code == 422 and "Tuesday" not in r.text.split("alert")[0]
    r = await pages.post("/admin/service-points/CHA-1/hours", {"hours_tue": "noon"})
    assert r.status_code == 422 and "09:00-17:00" in field_error(r.text, "f-hours_tue")


async def test_a_bookmobile_stop_lists_its_visits_and_one_can_be_cancelled(pages, api, clock):
    r = await pages.post(
        "/admin/service-points",
        {"code": "BM1", "name": "Bookmobile", "type": "bookmobile", "branch": "MAIN"},
    )
    assert r.status_code == 303
    today = clock.now.date()
    r = await pages.post(
        "/admin/service-points/BM1/stops",
        {"place": "Cabrini Homes", "weekday": "tue", "starts": "10:00", "ends": "12:00",
         "every_weeks": "2", "season_starts": today.isoformat(), "season_ends": ""},
    )  # fmt: skip
    assert r.status_code == 303, r.text
    page = await pages.get("/admin/service-points/BM1")
    assert page.status_code == 200
    visits = (
        await api.as_(api.headers["admin"], "GET", "/api/service-points/BM1/schedule")
    ).json()["visits"]
    assert len(visits) == 4  # every other Tuesday for 8 weeks
    first = visits[0]
    assert f'value="{first["date"]}"' in page.text
    r = await pages.post(
        f"/admin/service-points/BM1/stops/{first['stop']}/cancel",
        {"date": first["date"], "reason": "Driver out"},
    )
    assert r.status_code == 303
    page = await pages.get("/admin/service-points/BM1")
    assert "Cancelled" in page.text
    r = await pages.post(
        f"/admin/service-points/BM1/stops/{first['stop']}/cancel", {"date": first["date"]}
    )
    assert r.status_code == 422 and "already cancelled" in r.text


async def test_service_point_forms_show_field_errors_and_write_nothing(pages, api):
    r = await pages.post(
        "/admin/service-points",
        {"code": "a b", "name": LONG, "type": "spaceship", "branch": "MAIN",
         "hours_fri": "all day"},
    )  # fmt: skip
    assert r.status_code == 422
    assert "letters, digits" in field_error(r.text, "f-code")
    assert "at most 200" in field_error(r.text, "f-name")
    assert field_error(r.text, "f-type") == "Choose what kind of service point this is."
    assert "Friday" in field_error(r.text, "f-hours_fri")
    r = await pages.post(
        "/admin/service-points",
        {"code": "BM2", "name": "B", "type": "bookmobile", "branch": "MAIN", "timezone": "Mars/X"},
    )
    assert r.status_code == 422 and "IANA" in field_error(r.text, "f-timezone")
    r = await pages.post(
        "/admin/service-points", {"code": "MAIN", "name": "B", "type": "locker", "branch": "MAIN"}
    )
    assert r.status_code == 422 and "already exists" in field_error(r.text, "f-code")
    r = await pages.post(
        "/admin/service-points", {"code": "BM2", "name": "B", "type": "locker", "branch": "NOPE"}
    )
    assert r.status_code == 422 and "No branch" in field_error(r.text, "f-branch")
    listed = (await api.as_(api.headers["admin"], "GET", "/api/service-points")).json()
    assert [p["code"] for p in listed["items"]] == ["EAST", "MAIN"]

    assert (
        await pages.post(
            "/admin/service-points",
            {"code": "BM2", "name": "B", "type": "bookmobile", "branch": "MAIN"},
        )
    ).status_code == 303
    r = await pages.post(
        "/admin/service-points/BM2/stops",
        {"place": "", "weekday": "someday", "starts": "11:00", "ends": "10:00",
         "every_weeks": "9", "season_starts": "soon"},
    )  # fmt: skip
    assert r.status_code == 422
    assert field_error(r.text, "f-place") == "Enter where the vehicle stops."
    assert field_error(r.text, "f-weekday") == "Choose the day of the week."
    assert "from 1 to 8" in field_error(r.text, "f-every_weeks")
    assert "YYYY-MM-DD" in field_error(r.text, "f-season_starts")
    r = await pages.post(
        "/admin/service-points/BM2/stops",
        {"place": "Here", "weekday": "mon", "starts": "11:00", "ends": "10:00",
         "every_weeks": "1", "season_starts": "2027-01-04"},
    )  # fmt: skip
    assert r.status_code == 422 and field_error(r.text, "f-ends")
    assert (await api.as_(api.headers["admin"], "GET", "/api/service-points/BM2")).json()[
        "stops"
    ] == []
    assert (await pages.get("/admin/service-points/" + "Q" * 500)).status_code == 404
    assert (await pages.get("/admin/service-points/NOPE")).status_code == 404


async def test_desk_staff_read_service_points_but_cannot_change_them(client, api, library):
    desk = Pages(client)
    assert await desk.log_in("desk") == 303
    page = await desk.get("/admin/service-points")
    assert page.status_code == 200 and "Add a service point" not in page.text
    r = await desk.post(
        "/admin/service-points", {"code": "BM9", "name": "B", "type": "locker", "branch": "MAIN"}
    )
    assert r.status_code == 403
    listed = (await api.as_(api.headers["admin"], "GET", "/api/service-points")).json()
    assert listed["total"] == 2


async def test_a_device_is_sent_to_another_point_from_its_page(pages, api):
    page = await pages.get("/admin/devices/DEV001")
    assert page.status_code == 200 and 'id="send-form"' in page.text
    r = await pages.post("/admin/devices/DEV001/transfer", {"to": ""})
    assert r.status_code == 422 and "Choose where to send" in r.text
    r = await pages.post("/admin/devices/DEV001/transfer", {"to": "NOWHERE"})
    assert r.status_code == 422 and "no service point" in r.text
    r = await pages.post("/admin/devices/DEV001/transfer", {"to": "EAST"})
    assert r.status_code == 303, r.text
    page = await pages.get("/admin/devices/DEV001")
    assert "On its way from <strong>MAIN</strong> to <strong>EAST</strong>" in page.text
    assert 'id="send-form"' not in page.text
    r = await pages.post("/admin/devices/DEV001/transfer", {"to": "EAST"})
    assert r.status_code == 409 and "only a device on the shelf" in r.text
    moves = (await api.as_(api.headers["desk"], "GET", "/api/transfers?device=DEV001")).json()
    assert moves["total"] == 1 and moves["items"][0]["to_point"] == "EAST"
