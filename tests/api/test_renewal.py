"""POST /api/loans/{id}/renew and GET /api/loans.

Hotspots: 21-day loans, renewed for 21 days, at most 2 renewals. Laptops: 14 days, 1 renewal.
A hotspot checked out on 2026-12-01 (Chicago) is due 2026-12-22.
"""

from __future__ import annotations

from datetime import UTC, datetime

# ---- the new due date -------------------------------------------------------------------


async def test_early_renewal_counts_from_the_current_due_date(desk):
    loan = await desk.checked_out("P001", "DEV001")
    await desk.travel(days=4)

    r = await desk.renew(loan["id"])

    assert r.status_code == 200, r.text
    renewed = r.json()["loan"]
    assert renewed["id"] == loan["id"]
    assert renewed["due_at"] == "2027-01-12T23:59:59-06:00"
    assert renewed["renewals"] == 1
    assert renewed["status"] == "active"
    assert renewed["checked_out_at"] == loan["checked_out_at"]


async def test_renewal_of_an_overdue_loan_counts_from_today(desk):
    loan = await desk.checked_out("P001", "DEV001")
    await desk.travel(to=datetime(2026, 12, 30, 16, 0, tzinfo=UTC))
    assert (await desk.loans(device="DEV001"))["items"][0]["status"] == "overdue"

    r = await desk.renew(loan["id"])

    assert r.status_code == 200, r.text
    renewed = r.json()["loan"]
    assert renewed["due_at"] == "2027-01-20T23:59:59-06:00"
    assert renewed["status"] == "active"


async def test_late_evening_renewal_counts_from_the_branch_date(desk):
    loan = await desk.checked_out("P001", "DEV001")
    # 05:30 UTC on 31 December is still 30 December in Chicago.
    await desk.travel(to=datetime(2026, 12, 31, 5, 30, tzinfo=UTC))

    renewed = (await desk.renew(loan["id"])).json()["loan"]

    assert renewed["due_at"] == "2027-01-20T23:59:59-06:00"


async def test_renewal_on_the_due_date_counts_from_the_due_date(desk):
    loan = await desk.checked_out("P001", "DEV001")
    await desk.travel(to=datetime(2026, 12, 22, 20, 0, tzinfo=UTC))

    renewed = (await desk.renew(loan["id"])).json()["loan"]

    assert renewed["due_at"] == "2027-01-12T23:59:59-06:00"


async def test_renewal_uses_the_renewal_days_of_the_kind(desk):
    loan = await desk.checked_out("P001", "DEV004")  # laptop, due 2026-12-15

    renewed = (await desk.renew(loan["id"])).json()["loan"]

    assert renewed["due_at"] == "2026-12-29T23:59:59-06:00"


async def test_renewed_due_date_moves_past_closed_dates(desk):
    loan = await desk.checked_out("P001", "DEV001")
    await desk.close_branch("2027-01-12")
    await desk.close_branch("2027-01-13")

    renewed = (await desk.renew(loan["id"])).json()["loan"]

    assert renewed["due_at"] == "2027-01-14T23:59:59-06:00"


async def test_renewed_due_date_at_an_eastern_branch_is_in_its_offset(desk):
    await desk.add_device("EAST01", branch="EAST")
    loan = await desk.checked_out("P001", "EAST01")

    renewed = (await desk.renew(loan["id"])).json()["loan"]

    assert renewed["due_at"] == "2027-01-12T23:59:59-05:00"


async def test_renewal_is_stored(desk):
    loan = await desk.checked_out("P001", "DEV001")

    await desk.renew(loan["id"])

    stored = (await desk.loans(device="DEV001"))["items"][0]
    assert stored["renewals"] == 1
    assert stored["due_at"] == "2027-01-12T23:59:59-06:00"


# ---- refusals ---------------------------------------------------------------------------


async def test_renewal_refused_after_the_renewal_limit(desk):
    loan = await desk.checked_out("P001", "DEV001")
    assert (await desk.renew(loan["id"])).status_code == 200
    assert (await desk.renew(loan["id"])).status_code == 200

    r = await desk.renew(loan["id"])

    assert desk.problem(r, 409) == "renewal_limit_reached"
    assert (await desk.loans(device="DEV001"))["items"][0]["renewals"] == 2


async def test_renewal_limit_follows_the_kind(desk):
    loan = await desk.checked_out("P001", "DEV004")  # laptop: one renewal
    assert (await desk.renew(loan["id"])).status_code == 200

    r = await desk.renew(loan["id"])

    assert desk.problem(r, 409) == "renewal_limit_reached"


async def test_renewal_refused_when_the_policy_allows_none(desk):
    await desk.set_policy("hotspot", max_renewals=0)
    loan = await desk.checked_out("P001", "DEV001")

    r = await desk.renew(loan["id"])

    assert desk.problem(r, 409) == "renewal_limit_reached"


async def _only_dev001_in_service(desk):
    for barcode in ("DEV002", "DEV003"):
        assert (await desk.set_device_status(barcode, "in_repair")).status_code == 200


async def test_renewal_refused_when_someone_waits_and_no_device_is_available(desk):
    loan = await desk.checked_out("P001", "DEV001")
    await _only_dev001_in_service(desk)
    await desk.hold("P003")

    r = await desk.renew(loan["id"])

    assert desk.problem(r, 409) == "renewal_blocked_by_holds"
    assert (await desk.loans(device="DEV001"))["items"][0]["due_at"] == loan["due_at"]


async def test_renewal_allowed_when_someone_waits_but_a_device_is_available(desk):
    loan = await desk.checked_out("P001", "DEV001")
    await desk.hold("P003")

    r = await desk.renew(loan["id"])

    assert r.status_code == 200, r.text


async def test_renewal_allowed_when_nobody_waits_and_no_device_is_available(desk):
    loan = await desk.checked_out("P001", "DEV001")
    await _only_dev001_in_service(desk)

    r = await desk.renew(loan["id"])

    assert r.status_code == 200, r.text


async def test_renewal_not_blocked_by_a_hold_at_another_branch(desk):
    loan = await desk.checked_out("P001", "DEV001")
    await _only_dev001_in_service(desk)
    await desk.hold("P003", branch="EAST")

    r = await desk.renew(loan["id"])

    assert r.status_code == 200, r.text


async def test_renewal_not_blocked_by_a_hold_for_another_kind(desk):
    loan = await desk.checked_out("P001", "DEV001")
    await _only_dev001_in_service(desk)
    await desk.hold("P003", kind="laptop")

    r = await desk.renew(loan["id"])

    assert r.status_code == 200, r.text


async def test_renewal_not_blocked_by_a_hold_that_is_already_ready(desk):
    await desk.set_policy("hotspot", max_active_loans_per_household=2)
    loan = await desk.checked_out("P001", "DEV001")
    await desk.checked_out("P002", "DEV002")
    await desk.set_device_status("DEV003", "in_repair")
    await desk.hold("P003")
    assert (await desk.checked_in("DEV002"))["hold"]["status"] == "ready"

    r = await desk.renew(loan["id"])

    assert r.status_code == 200, r.text


async def test_renewal_refused_after_checkin(desk):
    loan = await desk.checked_out("P001", "DEV001")
    await desk.checked_in("DEV001")

    r = await desk.renew(loan["id"])

    assert desk.problem(r, 409) == "loan_not_active"


async def test_renewal_refused_when_the_patron_is_blocked(desk):
    loan = await desk.checked_out("P001", "DEV001")
    await desk.patch_patron("P001", blocked=True, block_reason="Lost card")

    r = await desk.renew(loan["id"])

    assert desk.problem(r, 409) == "patron_blocked"


async def test_renewal_of_an_unknown_loan_is_not_found(desk):
    r = await desk.renew(987654)

    assert desk.problem(r, 404) == "loan_not_found"


async def test_a_refused_renewal_writes_no_event(desk):
    loan = await desk.checked_out("P001", "DEV001")
    await desk.patch_patron("P001", blocked=True)

    await desk.renew(loan["id"])

    assert await desk.events(action="renew") == []


# ---- listing loans ----------------------------------------------------------------------


async def test_loan_list_returns_every_loan_with_a_total(desk):
    await desk.checked_out("P001", "DEV001")
    await desk.checked_out("P003", "DEV004")

    listed = await desk.loans()

    assert listed["total"] == 2
    assert {loan["device"] for loan in listed["items"]} == {"DEV001", "DEV004"}


async def test_loan_list_filters_by_patron_and_device(desk):
    await desk.checked_out("P001", "DEV001")
    await desk.checked_out("P003", "DEV002")
    await desk.checked_out("P003", "DEV004")

    by_patron = await desk.loans(patron="P003")
    by_device = await desk.loans(device="DEV001")
    both = await desk.loans(patron="P003", device="DEV004")

    assert by_patron["total"] == 2
    assert {loan["device"] for loan in by_patron["items"]} == {"DEV002", "DEV004"}
    assert [loan["patron"] for loan in by_device["items"]] == ["P001"]
    assert [loan["device"] for loan in both["items"]] == ["DEV004"]


async def test_overdue_is_derived_from_the_clock(desk):
    await desk.checked_out("P001", "DEV004")  # laptop, due 2026-12-15
    await desk.checked_out("P003", "DEV001")  # hotspot, due 2026-12-22
    await desk.travel(to=datetime(2026, 12, 16, 16, 0, tzinfo=UTC))

    overdue = await desk.loans(status="overdue")
    active = await desk.loans(status="active")

    assert [loan["device"] for loan in overdue["items"]] == ["DEV004"]
    assert overdue["items"][0]["status"] == "overdue"
    assert overdue["total"] == 1
    assert [loan["device"] for loan in active["items"]] == ["DEV001"]
    assert active["items"][0]["status"] == "active"
    assert active["total"] == 1


async def test_a_loan_is_not_overdue_until_its_due_date_ends(desk):
    await desk.checked_out("P001", "DEV004")  # due 2026-12-15 23:59:59 Chicago
    await desk.travel(to=datetime(2026, 12, 16, 5, 59, tzinfo=UTC))

    assert (await desk.loans(status="overdue"))["total"] == 0
    await desk.travel(minutes=2)
    assert (await desk.loans(status="overdue"))["total"] == 1


async def test_returned_loans_are_listed_under_returned_only(desk):
    await desk.checked_out("P001", "DEV001")
    await desk.checked_out("P003", "DEV002")
    await desk.checked_in("DEV001")

    returned = await desk.loans(status="returned")
    active = await desk.loans(status="active")

    assert [loan["device"] for loan in returned["items"]] == ["DEV001"]
    assert returned["items"][0]["returned_at"] == "2026-12-01T10:00:00-06:00"
    assert [loan["device"] for loan in active["items"]] == ["DEV002"]


async def test_a_returned_overdue_loan_is_not_listed_as_overdue(desk):
    await desk.checked_out("P001", "DEV004")
    await desk.travel(days=30)
    await desk.checked_in("DEV004")

    assert (await desk.loans(status="overdue"))["total"] == 0
    assert (await desk.loans(status="returned"))["total"] == 1


async def test_loan_list_filters_accept_scanned_codes(desk):
    await desk.checked_out("P001", "DEV001")

    assert (await desk.loans(patron="P001\r\n"))["total"] == 1
    assert (await desk.loans(device="DEV001\t"))["total"] == 1


async def test_loan_list_refuses_an_unknown_status(desk):
    r = await desk.client.get("/api/loans", params={"status": "late"}, headers=desk.desk)

    assert desk.problem(r, 422) == "validation_error"
    assert [e["field"] for e in r.json()["errors"]] == ["status"]


async def test_loan_list_pages_with_limit_and_offset(desk):
    await desk.checked_out("P001", "DEV001")
    await desk.checked_out("P003", "DEV002")
    await desk.checked_out("P003", "DEV004")

    first = await desk.loans(limit=2)
    rest = await desk.loans(limit=2, offset=2)

    assert first["total"] == rest["total"] == 3
    assert len(first["items"]) == 2
    assert len(rest["items"]) == 1
    seen = {loan["id"] for loan in first["items"] + rest["items"]}
    assert len(seen) == 3
