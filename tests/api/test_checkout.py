"""POST /api/checkout: the loan it creates, its due date, and every refusal.

The pinned clock reads 2026-12-01 16:00 UTC: 10:00 in Chicago (MAIN), 11:00 in New York (EAST).
Hotspots lend for 21 days, laptops for 14, one per patron and one per household.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest


async def test_checkout_returns_the_new_loan_due_at_the_end_of_the_branch_day(desk):
    r = await desk.checkout("P001", "DEV001")

    assert r.status_code == 201, r.text
    loan = r.json()["loan"]
    assert isinstance(loan["id"], int)
    assert loan["device"] == "DEV001"
    assert loan["patron"] == "P001"
    assert loan["branch"] == "MAIN"
    assert loan["checked_out_at"] == "2026-12-01T10:00:00-06:00"
    assert loan["due_at"] == "2026-12-22T23:59:59-06:00"
    assert loan["renewals"] == 0
    assert loan["status"] == "active"
    assert loan["returned_at"] is None


async def test_checkout_puts_the_device_on_loan_with_the_loan_attached(desk):
    loan = await desk.checked_out("P001", "DEV001")

    device = await desk.device("DEV001")
    assert device["status"] == "on_loan"
    assert device["current_loan"]["id"] == loan["id"]
    assert device["current_loan"]["patron"] == "P001"


async def test_checkout_uses_the_loan_days_of_the_device_kind(desk):
    loan = await desk.checked_out("P001", "DEV004")  # a laptop

    assert loan["due_at"] == "2026-12-15T23:59:59-06:00"


async def test_checkout_uses_loan_days_from_the_stored_policy(desk):
    await desk.set_policy("hotspot", loan_days=7)

    loan = await desk.checked_out("P001", "DEV001")

    assert loan["due_at"] == "2026-12-08T23:59:59-06:00"


async def test_checkout_due_date_moves_past_a_closed_date(desk):
    await desk.close_branch("2026-12-22")

    loan = await desk.checked_out("P001", "DEV001")

    assert loan["due_at"] == "2026-12-23T23:59:59-06:00"


async def test_checkout_due_date_moves_past_consecutive_closed_dates(desk):
    for day in ("2026-12-22", "2026-12-23", "2026-12-24"):
        await desk.close_branch(day)

    loan = await desk.checked_out("P001", "DEV001")

    assert loan["due_at"] == "2026-12-25T23:59:59-06:00"


async def test_checkout_ignores_closures_of_another_branch(desk):
    await desk.close_branch("2026-12-22", branch="EAST")

    loan = await desk.checked_out("P001", "DEV001")

    assert loan["due_at"] == "2026-12-22T23:59:59-06:00"


async def test_closure_added_later_does_not_move_an_existing_due_date(desk):
    first = await desk.checked_out("P001", "DEV001")

    await desk.close_branch("2026-12-22")
    later = await desk.checked_out("P003", "DEV002")

    listed = await desk.loans(device="DEV001")
    assert [loan["due_at"] for loan in listed["items"]] == ["2026-12-22T23:59:59-06:00"]
    assert listed["items"][0]["id"] == first["id"]
    assert later["due_at"] == "2026-12-23T23:59:59-06:00"


async def test_checkout_at_an_eastern_branch_is_due_at_the_end_of_its_own_day(desk):
    await desk.add_device("EAST01", branch="EAST")

    loan = await desk.checked_out("P001", "EAST01")

    assert loan["branch"] == "EAST"
    assert loan["checked_out_at"] == "2026-12-01T11:00:00-05:00"
    assert loan["due_at"] == "2026-12-22T23:59:59-05:00"


async def test_checkout_counts_days_from_the_branch_date_not_the_utc_date(desk):
    await desk.add_device("EAST01", branch="EAST")
    # 05:30 UTC on 2 December is still 1 December in Chicago, already 2 December in New York.
    await desk.travel(datetime(2026, 12, 2, 5, 30, tzinfo=UTC))

    main = await desk.checked_out("P001", "DEV001")
    east = await desk.checked_out("P003", "EAST01")

    assert main["due_at"] == "2026-12-22T23:59:59-06:00"
    assert east["due_at"] == "2026-12-23T23:59:59-05:00"


# ---- not found --------------------------------------------------------------------------


async def test_checkout_of_an_unknown_device_is_device_not_found(desk):
    r = await desk.checkout("P001", "NOPE")

    assert desk.problem(r, 404) == "device_not_found"


async def test_checkout_to_an_unknown_patron_is_patron_not_found(desk):
    r = await desk.checkout("P999", "DEV001")

    assert desk.problem(r, 404) == "patron_not_found"


# ---- device_unavailable -----------------------------------------------------------------


async def test_checkout_refused_when_device_is_already_on_loan(desk):
    await desk.checked_out("P001", "DEV001")

    r = await desk.checkout("P003", "DEV001")

    assert desk.problem(r, 409) == "device_unavailable"


@pytest.mark.parametrize("status", ["in_repair", "retired", "lost"])
async def test_checkout_refused_when_device_is_out_of_service(desk, status):
    r = await desk.set_device_status("DEV001", status)
    assert r.status_code == 200, r.text

    r = await desk.checkout("P001", "DEV001")

    assert desk.problem(r, 409) == "device_unavailable"


async def test_checkout_refused_when_device_is_on_the_hold_shelf_for_another_patron(desk):
    await desk.checked_out("P001", "DEV001")
    await desk.hold("P003")
    await desk.checked_in("DEV001")

    r = await desk.checkout("P002", "DEV001")

    assert desk.problem(r, 409) == "device_unavailable"
    assert (await desk.device("DEV001"))["status"] == "on_hold_shelf"


# ---- patron refusals --------------------------------------------------------------------


async def test_checkout_refused_when_patron_is_blocked(desk):
    await desk.patch_patron("P001", blocked=True, block_reason="Unpaid fees")

    r = await desk.checkout("P001", "DEV001")

    assert desk.problem(r, 409) == "patron_blocked"


async def test_checkout_refused_when_patron_card_has_expired(desk):
    await desk.patch_patron("P001", expires_on="2026-11-30")

    r = await desk.checkout("P001", "DEV001")

    assert desk.problem(r, 409) == "patron_expired"


async def test_checkout_refused_when_patron_already_has_the_limit_for_that_kind(desk):
    await desk.checked_out("P003", "DEV001")

    r = await desk.checkout("P003", "DEV002")

    assert desk.problem(r, 409) == "loan_limit_reached"


async def test_patron_limit_counts_only_loans_of_the_same_kind(desk):
    await desk.checked_out("P003", "DEV001")

    laptop = await desk.checked_out("P003", "DEV004")

    assert laptop["device"] == "DEV004"


async def test_patron_limit_follows_the_stored_policy(desk):
    await desk.set_policy(
        "hotspot", max_active_loans_per_patron=2, max_active_loans_per_household=2
    )
    await desk.checked_out("P003", "DEV001")
    await desk.checked_out("P003", "DEV002")

    r = await desk.checkout("P003", "DEV003")

    assert desk.problem(r, 409) == "loan_limit_reached"


async def test_household_limit_counts_loans_of_every_member(desk):
    await desk.set_policy(
        "hotspot", max_active_loans_per_patron=1, max_active_loans_per_household=2
    )
    await desk.add_device("DEV006")
    await desk.checked_out("P001", "DEV001")
    await desk.checked_out("P002", "DEV002")
    await desk.patch_patron("P003", household="H1")

    r = await desk.checkout("P003", "DEV003")

    assert desk.problem(r, 409) == "loan_limit_reached"


async def test_household_limit_with_default_policy_refuses_the_second_member(desk):
    await desk.checked_out("P001", "DEV001")

    r = await desk.checkout("P002", "DEV002")

    assert desk.problem(r, 409) == "loan_limit_reached"
    # A patron outside the household is not affected.
    assert (await desk.checked_out("P003", "DEV002"))["patron"] == "P003"


async def test_household_limit_counts_a_loan_of_a_patron_who_joined_after_borrowing(desk):
    await desk.set_policy(
        "hotspot", max_active_loans_per_patron=1, max_active_loans_per_household=2
    )
    await desk.checked_out("P003", "DEV001")
    await desk.patch_patron("P003", household="H1")
    await desk.checked_out("P001", "DEV002")

    r = await desk.checkout("P002", "DEV003")

    assert desk.problem(r, 409) == "loan_limit_reached"


async def test_household_limit_ignores_a_loan_of_a_patron_who_left_the_household(desk):
    await desk.checked_out("P002", "DEV001")
    await desk.patch_patron("P002", household=None)

    loan = await desk.checked_out("P001", "DEV002")

    assert loan["patron"] == "P001"


async def test_household_limit_frees_up_when_a_member_returns_a_device(desk):
    await desk.checked_out("P001", "DEV001")
    await desk.checked_in("DEV001")

    loan = await desk.checked_out("P002", "DEV002")

    assert loan["patron"] == "P002"


# ---- precedence -------------------------------------------------------------------------


async def test_unknown_patron_wins_over_an_unavailable_device(desk):
    await desk.checked_out("P001", "DEV001")

    r = await desk.checkout("P999", "DEV001")

    assert desk.problem(r, 404) == "patron_not_found"


async def test_unknown_device_wins_over_a_blocked_patron(desk):
    await desk.patch_patron("P001", blocked=True)

    r = await desk.checkout("P001", "NOPE")

    assert desk.problem(r, 404) == "device_not_found"


async def test_unavailable_device_wins_over_every_patron_refusal(desk):
    await desk.checked_out("P001", "DEV001")
    await desk.patch_patron("P002", blocked=True, expires_on="2026-01-01")

    r = await desk.checkout("P002", "DEV001")

    assert desk.problem(r, 409) == "device_unavailable"


async def test_blocked_wins_over_expired_and_loan_limit(desk):
    await desk.checked_out("P003", "DEV001")
    await desk.patch_patron("P003", blocked=True, expires_on="2026-01-01")

    r = await desk.checkout("P003", "DEV002")

    assert desk.problem(r, 409) == "patron_blocked"


async def test_expired_wins_over_loan_limit(desk):
    await desk.checked_out("P003", "DEV001")
    await desk.patch_patron("P003", expires_on="2026-01-01")

    r = await desk.checkout("P003", "DEV002")

    assert desk.problem(r, 409) == "patron_expired"


# ---- scanned input ----------------------------------------------------------------------


@pytest.mark.parametrize("scanned", ["DEV001\r\n", "DEV001\n", "DEV001\r", "DEV001\t", "  DEV001 "])
async def test_checkout_accepts_a_device_barcode_with_scanner_terminators(desk, scanned):
    loan = await desk.checked_out("P001", scanned)

    assert loan["device"] == "DEV001"


@pytest.mark.parametrize("scanned", ["P001\r\n", "P001\t", " P001 "])
async def test_checkout_accepts_a_card_number_with_scanner_terminators(desk, scanned):
    loan = await desk.checked_out(scanned, "DEV001")

    assert loan["patron"] == "P001"


@pytest.mark.parametrize(
    "scanned",
    [
        "31234000012342",
        "3 1234 00001 2342",
        "31234 000012342\r\n",
        "A31234000012342B",
        "c31234000012342d\t",
        "A3 1234 00001 2342B",
    ],
)
async def test_checkout_normalizes_a_scanned_14_digit_device_barcode(desk, scanned):
    await desk.add_device("31234000012342")

    loan = await desk.checked_out("P001", scanned)

    assert loan["device"] == "31234000012342"


@pytest.mark.parametrize(
    "scanned", ["21234000067890\r\n", "2 1234 00006 7890", "A21234000067890B", "D21234000067890A\n"]
)
async def test_checkout_normalizes_a_scanned_14_digit_card_number(desk, api, scanned):
    r = await api.client.post(
        "/api/patrons",
        json={"card_number": "21234000067890", "name": "Dee", "pin": "1234"},
        headers=api.headers["desk"],
    )
    assert r.status_code == 201, r.text

    loan = await desk.checked_out(scanned, "DEV001")

    assert loan["patron"] == "21234000067890"


async def test_checkout_with_a_blank_scan_is_a_validation_error(desk):
    r = await desk.checkout("P001", " \r\n")

    assert desk.problem(r, 422) == "validation_error"
    assert [e["field"] for e in r.json()["errors"]] == ["device"]


# ---- nothing half-written ---------------------------------------------------------------


async def test_a_refused_checkout_leaves_the_device_and_loans_untouched(desk):
    await desk.checked_out("P003", "DEV001")

    r = await desk.checkout("P003", "DEV002")

    assert desk.problem(r, 409) == "loan_limit_reached"
    assert (await desk.device("DEV002"))["status"] == "available"
    assert (await desk.loans(device="DEV002"))["total"] == 0
    assert (await desk.loans(patron="P003"))["total"] == 1
