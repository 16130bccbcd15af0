"""`lending check`: each invariant the database cannot fully enforce is found when it is broken
(one planted inconsistency per test), `--fix` repairs those with one safe repair (with an audit
event) and lists the rest; a consistent library reports nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lending.services.operations.check import run_checks
from lending.tables import CarrierAction, Charge, Device, Event, Hold, Loan, Notice, ServiceLine


async def _device_id(barcode: str) -> int:
    return (await Device.select(Device.id).where(Device.barcode == barcode).first())["id"]


async def _lend(api, patron: str, device: str) -> int:
    r = await api.client.post(
        "/api/checkout", json={"patron": patron, "device": device}, headers=api.headers["desk"]
    )
    assert r.status_code == 201, r.text
    return r.json()["loan"]["id"]


async def _line(device_id: int, serial: int, status: str, now) -> None:
    await ServiceLine.insert(
        ServiceLine(iccid=f"89014100000000{serial:05d}", msisdn=f"555010{serial:04d}",
                    carrier="T-Mobile", status=status, device=device_id, created_at=now,
                    updated_at=now)
    )  # fmt: skip


async def plant_device_on_loan_without_loan(api, now):
    await Device.update({Device.status: "on_loan"}).where(Device.barcode == "DEV002")


async def plant_loan_without_device_on_loan(api, now):
    await _lend(api, "P001", "DEV001")
    await Device.update({Device.status: "available"}).where(Device.barcode == "DEV001")


async def plant_ready_hold_without_shelf_device(api, now):
    r = await api.client.post(
        "/api/holds", json={"patron": "P003", "kind": "laptop", "branch": "MAIN"},
        headers=api.headers["desk"],
    )  # fmt: skip
    assert r.status_code == 201, r.text
    await Hold.update(
        {Hold.status: "ready", Hold.device: await _device_id("DEV004"),
         Hold.ready_until: now + timedelta(days=3)}
    ).where(Hold.id == r.json()["id"])  # fmt: skip


async def plant_shelf_device_without_ready_hold(api, now):
    await Device.update({Device.status: "on_hold_shelf"}).where(Device.barcode == "DEV003")


async def plant_device_with_two_lines(api, now):
    device = await _device_id("DEV001")
    await _line(device, 1, "active", now)
    await _line(device, 2, "active", now)


async def plant_suspended_line_not_overdue(api, now):
    await _line(await _device_id("DEV002"), 3, "suspended", now)


async def plant_notice_pending_over_a_day(api, now):
    await Notice.insert(
        Notice(kind="overdue", stage="1", status="pending", next_attempt_at=now,
               created_at=now - timedelta(days=2))
    )  # fmt: skip


async def plant_charge_on_anonymized_loan(api, now):
    loan = await _lend(api, "P001", "DEV001")
    await Charge.insert(
        Charge(loan=loan, patron=None, kind="part_missing", amount_cents=1500, status="open",
               created_at=now)
    )  # fmt: skip
    await Loan.update({Loan.patron: None}).where(Loan.id == loan)


# (check, planting, repaired by --fix)
PLANTED = [
    ("device_on_loan_without_loan", plant_device_on_loan_without_loan, True),
    ("loan_without_device_on_loan", plant_loan_without_device_on_loan, False),
    ("ready_hold_without_shelf_device", plant_ready_hold_without_shelf_device, True),
    ("shelf_device_without_ready_hold", plant_shelf_device_without_ready_hold, True),
    ("suspended_line_not_overdue", plant_suspended_line_not_overdue, True),
    ("notice_pending_over_a_day", plant_notice_pending_over_a_day, False),
    ("charge_on_anonymized_loan", plant_charge_on_anonymized_loan, False),
]


async def test_a_consistent_library_reports_nothing(api, library, clock):
    await _lend(api, "P001", "DEV001")
    report = await run_checks(clock.now)
    assert report.violations == [] and report.checked == len(PLANTED) + 1


async def test_a_device_with_two_lines_is_refused_by_the_database_itself(api, library, clock):
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        await plant_device_with_two_lines(api, clock.now)


@pytest.mark.parametrize("name, plant, safe", PLANTED, ids=[p[0] for p in PLANTED])
async def test_each_planted_inconsistency_is_found_and_fix_repairs_only_the_safe_ones(
    api, library, clock, name, plant, safe
):
    await plant(api, clock.now)
    found = await run_checks(clock.now)
    assert [v.check for v in found.violations] == [name]
    assert found.violations[0].count == 1 and found.violations[0].rows
    assert found.problems == 1

    fixed = await run_checks(clock.now, fix=True)
    assert fixed.violations[0].repaired == (1 if safe else 0)
    after = await run_checks(clock.now)
    if safe:
        assert after.violations == [], after
        events = await Event.count().where(Event.action == "check_repaired")
        assert events == 1
    else:
        assert [v.check for v in after.violations] == [name]  # listed for a person
    if name == "suspended_line_not_overdue":
        assert await CarrierAction.count().where(CarrierAction.action == "restore") == 1


async def test_the_dashboard_shows_the_last_check(api, library, clock):
    await plant_device_on_loan_without_loan(api, clock.now)
    r = await api.client.post(
        "/api/jobs/check/run", json={"now": clock.now.isoformat()}, headers=api.headers["admin"]
    )
    assert r.status_code == 200 and r.json()["error"].startswith("1 inconsistencies")
    client = api.client
    await client.get("/login")
    client.headers["x-csrftoken"] = client.cookies.get("lending_csrf")
    r = await client.post("/login", data={"username": "admin", "password": "correct-horse"})
    assert r.status_code == 303, r.text
    page = (await client.get("/admin")).text
    assert "inconsistencies at the last check" in page
    assert "This instance" in page and "degraded" in page and "up to date" in page
