"""Overdue patrons through the API (issue 12): the policy's overdue settings, checkout refused
while the patron (or household) has an overdue loan, and renewal of an overdue loan refused
for staff or for the resident as the policy says. Both databases."""

from __future__ import annotations

import pytest

OVERDUE_DEFAULTS = {
    "overdue_blocks_checkout": "patron",
    "overdue_blocks_checkout_after_days": 0,
    "staff_may_renew_overdue": True,
    "resident_may_renew_overdue": False,
}


async def _laptop_overdue_since_yesterday(desk, patron: str = "P001") -> dict:
    """P001 (household H1) borrows DEV004, a laptop (14 days), and is now a day late."""
    loan = await desk.checked_out(patron, "DEV004")
    await desk.travel(days=15)
    return loan


async def test_policies_have_the_overdue_settings_with_their_defaults(desk):
    r = await desk.client.get("/api/policies", headers=desk.desk)
    for policy in r.json()["items"]:
        assert {k: policy[k] for k in OVERDUE_DEFAULTS} == OVERDUE_DEFAULTS


async def test_a_patron_with_a_laptop_overdue_since_yesterday_cannot_borrow_a_hotspot(desk):
    await _laptop_overdue_since_yesterday(desk)

    r = await desk.checkout("P001", "DEV001")

    assert desk.problem(r, 409) == "patron_has_overdue"
    body = r.json()
    assert "DEV004" in body["detail"]
    assert body["facts"]["whose"] == "patron"
    [loan] = body["facts"]["loans"]
    assert loan["device"] == "DEV004" and loan["kind"] == "laptop" and loan["own"] is True
    assert loan["days_overdue"] == 0  # due at the end of yesterday: less than a day late
    assert (await desk.device("DEV001"))["status"] == "available"  # nothing written


async def test_checkout_refusal_for_overdue_loans_waits_for_the_policy_days(desk):
    await desk.set_policy("hotspot", overdue_blocks_checkout_after_days=3)
    await _laptop_overdue_since_yesterday(desk)
    assert (await desk.checkout("P001", "DEV001")).status_code == 201
    await desk.checkin("DEV001")

    await desk.travel(days=3)
    assert desk.problem(await desk.checkout("P001", "DEV001"), 409) == "patron_has_overdue"


async def test_the_household_scope_refuses_a_household_member_and_off_lets_everyone_borrow(desk):
    await _laptop_overdue_since_yesterday(desk)  # Ana (P001), household H1
    assert (await desk.checkout("P002", "DEV001")).status_code == 201  # Ben: "patron" scope
    await desk.checkin("DEV001")

    await desk.set_policy("hotspot", overdue_blocks_checkout="household")
    r = await desk.checkout("P002", "DEV001")
    assert desk.problem(r, 409) == "patron_has_overdue"
    assert r.json()["facts"]["whose"] == "household"
    assert r.json()["facts"]["loans"][0]["own"] is False
    assert (await desk.checkout("P003", "DEV001")).status_code == 201  # another household

    await desk.set_policy("hotspot", overdue_blocks_checkout="off")
    assert (await desk.checkout("P001", "DEV002")).status_code == 201


async def test_returning_the_overdue_loan_lets_the_patron_borrow_again(desk):
    await _laptop_overdue_since_yesterday(desk)
    await desk.checkin("DEV004")
    assert (await desk.checkout("P001", "DEV001")).status_code == 201


async def test_staff_renew_an_overdue_loan_unless_the_policy_refuses_it(desk):
    loan = await _laptop_overdue_since_yesterday(desk)
    await desk.set_policy("laptop", staff_may_renew_overdue=False)

    r = await desk.renew(loan["id"])
    assert desk.problem(r, 409) == "overdue_renewal_refused"
    assert r.json()["facts"]["by"] == "staff"
    assert (await desk.loans(patron="P001"))["items"][0]["renewals"] == 0

    await desk.set_policy("laptop", staff_may_renew_overdue=True)
    r = await desk.renew(loan["id"])
    assert r.status_code == 200, r.text


async def test_the_resident_cannot_renew_an_overdue_loan_by_default_but_may_when_allowed(desk):
    loan = await _laptop_overdue_since_yesterday(desk)
    ana = await desk.api.login(card_number="P001", pin="1234")

    r = await desk.client.post(f"/api/me/loans/{loan['id']}/renew", headers=ana)
    assert desk.problem(r, 409) == "overdue_renewal_refused"
    assert r.json()["facts"]["by"] == "resident"

    await desk.set_policy("laptop", resident_may_renew_overdue=True)
    r = await desk.client.post(f"/api/me/loans/{loan['id']}/renew", headers=ana)
    assert r.status_code == 200, r.text


async def test_the_overdue_settings_are_stored_and_audited(desk):
    stored = await desk.set_policy(
        "tablet",
        overdue_blocks_checkout="household",
        overdue_blocks_checkout_after_days=5,
        staff_may_renew_overdue=False,
        resident_may_renew_overdue=True,
    )
    assert stored["overdue_blocks_checkout"] == "household"
    r = await desk.client.get("/api/policies", headers=desk.desk)
    tablet = next(p for p in r.json()["items"] if p["kind"] == "tablet")
    assert tablet == stored
    [event] = [e for e in await desk.events() if e["action"] == "policy_updated"]
    assert event["actor"] == "admin"
    assert event["details"]["overdue_blocks_checkout_after_days"] == 5


@pytest.mark.parametrize(
    "body",
    [
        {"overdue_blocks_checkout": "everyone"},
        {"overdue_blocks_checkout": 1},
        {"overdue_blocks_checkout_after_days": -1},
        {"overdue_blocks_checkout_after_days": 3651},
        {"overdue_blocks_checkout_after_days": "3"},
        {"staff_may_renew_overdue": "yes"},
        {"resident_may_renew_overdue": None},
    ],
)
async def test_bad_overdue_settings_are_a_422_and_nothing_is_written(desk, body):
    before = await desk.client.get("/api/policies", headers=desk.desk)

    r = await desk.client.put(
        "/api/policies/hotspot", json={"loan_days": 9, **body}, headers=desk.admin
    )

    assert desk.problem(r, 422) == "validation_error"
    assert r.json()["errors"][0]["field"] == next(iter(body))
    after = await desk.client.get("/api/policies", headers=desk.desk)
    assert after.json() == before.json()
