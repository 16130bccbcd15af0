"""Reports against known data: every figure worked out by hand from the story below."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from lending.circulation import luhn_check_digit
from lending.services.circulation.overdue import mark_lost

RANGE = {"from": "2026-12-01", "to": "2026-12-10"}


def at(day: int, hour: int = 16) -> datetime:
    return datetime(2026, 12, day, hour, 0, tzinfo=UTC)


def iccid(n: int) -> str:
    body = f"890126{n:012d}"
    return body + str(luhn_check_digit(body))


@pytest.fixture
async def story(desk):
    """The library fixture's devices were added on Dec 1 at 16:00 UTC (10:00 in Chicago).
    - L1: hotspot DEV001 to P001 Dec 1 16:00 → back Dec 3 16:00 (2 days), which sets it
      aside for P003, who placed a hotspot hold on Dec 1 18:00 (waited 1 d 22 h).
    - L2: laptop DEV004 to P003 Dec 2 16:00, due Dec 3 (1-day laptops), never back, marked
      lost on Dec 10 (lost after 5 days overdue).
    - P002 places a hotspot hold Dec 5 16:00 and borrows DEV002 Dec 8 16:00 (waited 3 days),
      back Dec 9 16:00 (L3, 1 day). P001 places a hotspot hold Dec 9 20:00: still waiting.
    - Lines: a 20.00 plan, one active and one suspended line on it, one cancelled.
    The reports run on Dec 11 12:00 UTC, over Dec 1-10 (Chicago): the range ends Dec 11 06:00 UTC.
    """
    await desk.set_policy("laptop", loan_days=1, lost_after_days=5)
    await desk.checked_out("P001", "DEV001")
    await desk.travel(at(1, 18))
    await desk.hold("P003")
    await desk.travel(at(2))
    await desk.checked_out("P003", "DEV004")
    await desk.travel(at(3))
    assert (await desk.checked_in("DEV001"))["hold"]["patron"] == "P003"
    await desk.travel(at(5))
    await desk.hold("P002")
    await desk.travel(at(8))
    await desk.checked_out("P002", "DEV002")
    await desk.travel(at(9))
    await desk.checked_in("DEV002")
    await desk.travel(at(9, 20))
    await desk.hold("P001")
    await desk.travel(at(10))
    assert (await mark_lost(at(10))).marked_lost == 1
    r = await desk.client.post(
        "/api/plans",
        json={"carrier": "T-Mobile", "name": "Unlimited", "monthly_cost": 20},
        headers=desk.admin,
    )
    plan = r.json()["id"]
    for n, status in enumerate(["active", "suspended", "cancelled"], start=1):
        r = await desk.client.post(
            "/api/lines",
            json={
                "iccid": iccid(n),
                "phone_number": f"+1555010010{n}",
                "carrier": "T-Mobile",
                "plan": plan,
                "status": status,
            },
            headers=desk.admin,
        )
        assert r.status_code == 201, r.text
    await desk.travel(at(11, 12))
    return desk


async def get(desk, name: str, **params):
    r = await desk.client.get(
        f"/api/reports/{name}", params={**RANGE, **params}, headers=desk.admin
    )
    assert r.status_code == 200, r.text
    return r


async def test_every_report_matches_the_figures_worked_out_by_hand_as_json_csv_and_svg(story):
    util = (await get(story, "utilization")).json()
    rows = {(r["kind"], r["branch"]): r for r in util["rows"]}
    existed = 9 + 14 / 24  # Dec 1 10:00 to Dec 11 00:00, Chicago
    hotspots, laptops = rows[("hotspot", "MAIN")], rows[("laptop", "MAIN")]
    assert hotspots["devices"] == 3 and hotspots["loans"] == 2
    assert hotspots["device_days"] == pytest.approx(3 * existed, abs=0.01)
    assert hotspots["loan_days"] == pytest.approx(3.0, abs=0.01)
    assert hotspots["utilization"] == pytest.approx(3 / (3 * existed), abs=1e-4)
    laptop_out = 8 + 14 / 24  # Dec 2 16:00 UTC to Dec 11 06:00 UTC
    assert laptops["loan_days"] == pytest.approx(laptop_out, abs=0.01)
    assert laptops["utilization"] == pytest.approx(laptop_out / (2 * existed), abs=1e-4)
    assert util["total"]["utilization"] == pytest.approx((3 + laptop_out) / (5 * existed), abs=1e-4)
    only = (await get(story, "utilization", kind="laptop")).json()
    assert [r["kind"] for r in only["rows"]] == ["laptop"]

    weeks = (await get(story, "loans-per-week")).json()["rows"]
    assert [(w["week"], w["hotspot"], w["laptop"], w["loans"]) for w in weeks] == [
        ("2026-11-30", 1, 1, 2),
        ("2026-12-07", 1, 0, 1),
    ]

    late = (await get(story, "overdue-loss")).json()
    rows = {r["kind"]: r for r in late["rows"]}
    assert (rows["hotspot"]["loans"], rows["hotspot"]["overdue"], rows["hotspot"]["lost"]) == (
        2,
        0,
        0,
    )
    assert (rows["laptop"]["overdue"], rows["laptop"]["lost"], rows["laptop"]["loss_rate"]) == (
        1,
        1,
        1.0,
    )
    assert late["total"]["overdue_rate"] == pytest.approx(1 / 3, abs=1e-4)

    wait = (await get(story, "waitlist")).json()
    [hotspot] = wait["rows"]
    assert (hotspot["placed"], hotspot["waiting_at_end"], hotspot["served"]) == (3, 1, 2)
    assert hotspot["median_wait_days"] == pytest.approx((1 + 22 / 24 + 3) / 2, abs=0.01)
    assert wait["total"]["median_wait_days"] == hotspot["median_wait_days"]
    before = (await get(story, "waitlist", to="2026-12-02")).json()["total"]
    assert (before["placed"], before["waiting_at_end"], before["served"]) == (1, 1, 0)

    lines = (await get(story, "lines")).json()
    [plan] = lines["rows"]
    assert (plan["lines"], plan["active"], plan["suspended"], plan["cancelled"]) == (3, 1, 1, 1)
    assert plan["monthly_cost"] == 40.0 and lines["total"]["monthly_cost"] == 40.0

    # the same reports as CSV downloads and as accessible SVG charts
    r = await get(story, "overdue-loss", format="csv")
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    lines = r.text.splitlines()
    assert lines[0].startswith("kind,branch,loans,overdue")
    assert lines[-1].startswith("all,all,3,1,")
    r = await get(story, "loans-per-week.svg")
    assert r.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(r.text)
    assert root.get("role") == "img"
    assert "Loans per week, 2026-12-01 to 2026-12-10" in r.text
    for name in ("utilization", "overdue-loss", "waitlist", "lines"):
        r = await get(story, f"{name}.svg")
        assert ET.fromstring(r.text).find("{http://www.w3.org/2000/svg}desc").text


async def test_report_requests_are_checked(api, problem_code):
    admin = api.headers["admin"]
    r = await api.client.get(
        "/api/reports/utilization", params={"from": "2026-12-10", "to": "2026-12-01"}, headers=admin
    )
    assert problem_code(r, 422) == "validation_error"
    r = await api.client.get("/api/reports/utilization", params={"kind": "toaster"}, headers=admin)
    assert problem_code(r, 422) == "validation_error"
    r = await api.client.get("/api/reports/nothing", headers=admin)
    assert problem_code(r, 404) == "report_not_found"
    r = await api.client.get("/api/reports/utilization", headers=api.headers["desk"])
    assert problem_code(r, 403) == "forbidden"
    r = await api.client.get("/api/reports/utilization", headers=admin)
    assert r.json()["rows"] == [] and r.json()["total"]["utilization"] == 0.0


async def test_utilization_counts_a_device_from_its_acquired_date_not_when_it_was_added(desk):
    await desk.travel(at(5))
    body = {"kind": "tablet", "model": "Tab", "serial_number": "T1", "branch": "MAIN"}
    for barcode, acquired in (("TAB1", "2026-11-20"), ("TAB2", None)):
        r = await desk.client.post(
            "/api/devices",
            json={**body, "barcode": barcode, "acquired_on": acquired},
            headers=desk.admin,
        )
        assert r.status_code == 201, r.text
        assert r.json()["acquired_on"] == acquired
    await desk.travel(at(11, 12))

    util = (await get(desk, "utilization", kind="tablet")).json()

    [tablets] = util["rows"]
    whole_range = 10.0  # Dec 1 00:00 to Dec 11 00:00, Chicago
    since_added = 5 + 14 / 24  # Dec 5 16:00 UTC to Dec 11 06:00 UTC
    assert tablets["device_days"] == pytest.approx(whole_range + since_added, abs=0.01)


async def test_an_acquired_date_in_the_future_or_not_a_date_is_refused(desk, problem_code):
    body = {"barcode": "TAB9", "kind": "tablet", "model": "M", "serial_number": "S"}
    for value in ("2099-01-01", "2026-13-01", "soon"):
        r = await desk.client.post(
            "/api/devices",
            json={**body, "branch": "MAIN", "acquired_on": value},
            headers=desk.admin,
        )
        assert problem_code(r, 422) == "validation_error", value
        assert [e["field"] for e in r.json()["errors"]] == ["acquired_on"]
    r = await desk.client.get("/api/devices/TAB9", headers=desk.admin)
    assert problem_code(r, 404) == "device_not_found"
