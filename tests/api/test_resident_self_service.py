"""Resident self-service under /api/me: a patron logged in with card number and PIN sees and
changes only their own loans and holds."""

from __future__ import annotations

import pytest


@pytest.fixture
async def ana(desk):
    """P001 logged in as a resident."""
    return await desk.api.login(card_number="P001", pin="1234")


async def test_resident_logs_in_with_card_and_pin(desk):
    r = await desk.client.post("/api/auth/token", json={"card_number": "P001", "pin": "1234"})

    assert r.status_code == 200, r.text
    assert r.json()["role"] == "resident"
    assert r.json()["token_type"] == "Bearer"


async def test_resident_login_with_a_wrong_pin_is_refused(desk):
    r = await desk.client.post("/api/auth/token", json={"card_number": "P001", "pin": "9999"})

    assert desk.problem(r, 401) == "invalid_credentials"


async def test_me_shows_the_patron_with_only_their_own_loans_and_holds(desk, ana):
    mine = await desk.checked_out("P001", "DEV001")
    await desk.checked_out("P003", "DEV002")
    await desk.hold("P001", kind="laptop")
    await desk.hold("P003", kind="laptop")

    r = await desk.client.get("/api/me", headers=ana)

    assert r.status_code == 200, r.text
    me = r.json()
    assert me["card_number"] == "P001"
    assert me["name"] == "Ana"
    assert [loan["id"] for loan in me["loans"]] == [mine["id"]]
    assert [(h["patron"], h["kind"]) for h in me["holds"]] == [("P001", "laptop")]


async def test_my_loans_lists_only_my_loans(desk, ana):
    mine = await desk.checked_out("P001", "DEV001")
    await desk.checked_out("P003", "DEV002")

    r = await desk.client.get("/api/me/loans", headers=ana)

    assert r.status_code == 200, r.text
    assert r.json()["total"] == 1
    assert [loan["id"] for loan in r.json()["items"]] == [mine["id"]]


async def test_resident_renews_their_own_loan(desk, ana):
    loan = await desk.checked_out("P001", "DEV001")

    r = await desk.client.post(f"/api/me/loans/{loan['id']}/renew", headers=ana)

    assert r.status_code == 200, r.text
    assert r.json()["loan"]["renewals"] == 1
    assert r.json()["loan"]["due_at"] == "2027-01-12T23:59:59-06:00"


async def test_resident_renewal_has_the_same_refusals_as_the_desk(desk, ana):
    loan = await desk.checked_out("P001", "DEV001")
    await desk.patch_patron("P001", blocked=True)

    r = await desk.client.post(f"/api/me/loans/{loan['id']}/renew", headers=ana)

    assert desk.problem(r, 409) == "patron_blocked"


async def test_resident_cannot_renew_another_patrons_loan(desk, ana):
    theirs = await desk.checked_out("P003", "DEV001")

    r = await desk.client.post(f"/api/me/loans/{theirs['id']}/renew", headers=ana)

    assert desk.problem(r, 404) == "loan_not_found"
    assert (await desk.loans(device="DEV001"))["items"][0]["renewals"] == 0


async def test_resident_cannot_renew_a_household_members_loan(desk, ana):
    theirs = await desk.checked_out("P002", "DEV001")

    r = await desk.client.post(f"/api/me/loans/{theirs['id']}/renew", headers=ana)

    assert desk.problem(r, 404) == "loan_not_found"


async def test_resident_places_a_hold_for_themselves(desk, ana):
    r = await desk.client.post(
        "/api/me/holds", json={"kind": "laptop", "branch": "MAIN"}, headers=ana
    )

    assert r.status_code == 201, r.text
    hold = r.json()
    assert hold["patron"] == "P001"
    assert hold["status"] == "waiting"
    assert hold["position"] == 1
    listed = await desk.client.get("/api/me/holds", headers=ana)
    assert [h["id"] for h in listed.json()["items"]] == [hold["id"]]


async def test_resident_cannot_hold_the_same_kind_twice(desk, ana):
    await desk.client.post("/api/me/holds", json={"kind": "laptop", "branch": "MAIN"}, headers=ana)

    r = await desk.client.post(
        "/api/me/holds", json={"kind": "laptop", "branch": "EAST"}, headers=ana
    )

    assert desk.problem(r, 409) == "duplicate_hold"


async def test_my_holds_lists_only_my_holds(desk, ana):
    await desk.hold("P003")
    mine = await desk.hold("P001")

    r = await desk.client.get("/api/me/holds", headers=ana)

    assert r.status_code == 200, r.text
    assert [h["id"] for h in r.json()["items"]] == [mine["id"]]
    assert r.json()["items"][0]["position"] == 2


async def test_resident_cancels_their_own_hold(desk, ana):
    mine = await desk.hold("P001")

    r = await desk.client.delete(f"/api/me/holds/{mine['id']}", headers=ana)

    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    assert (await desk.client.get("/api/me/holds", headers=ana)).json()["items"] == []


async def test_resident_cannot_cancel_another_patrons_hold(desk, ana):
    theirs = await desk.hold("P003")

    r = await desk.client.delete(f"/api/me/holds/{theirs['id']}", headers=ana)

    assert desk.problem(r, 404) == "hold_not_found"
    assert [h["status"] for h in (await desk.holds())["items"]] == ["waiting"]


async def test_resident_cannot_use_staff_circulation(desk, ana):
    r = await desk.client.post(
        "/api/checkout", json={"patron": "P001", "device": "DEV001"}, headers=ana
    )

    assert desk.problem(r, 403) == "forbidden"


async def test_staff_cannot_use_resident_self_service(desk):
    r = await desk.client.get("/api/me", headers=desk.desk)

    assert desk.problem(r, 403) == "forbidden"
