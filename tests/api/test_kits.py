"""Kits: parts go out with a loan, come back on the checklist, and a missing or damaged part is
charged to the loan and noted on the device (POST /api/checkin, /api/loans/{id}/kit)."""

from __future__ import annotations

import pytest


@pytest.fixture
async def kitted(desk):
    """DEV001 (hotspot) with a charger ($25), a USB cable ($5, barcode CAB001) and a case."""
    for part in (
        {"name": "Charger", "replacement_cost": 25},
        {"name": "USB cable", "replacement_cost": 5, "barcode": "CAB001"},
        {"name": "Case", "replacement_cost": 10},
    ):
        r = await desk.client.post("/api/devices/DEV001/kit", json=part, headers=desk.admin)
        assert r.status_code == 201, r.text
    return desk


async def _charges(desk, loan_id):
    r = await desk.client.get(f"/api/loans/{loan_id}/kit", headers=desk.desk)
    assert r.status_code == 200, r.text
    return {i["name"]: i for i in r.json()["items"]}


async def test_checkout_records_the_parts_that_went_out_and_checkin_returns_them(kitted):
    desk = kitted
    r = await desk.checkout("P001", "DEV001")
    assert r.status_code == 201, r.text
    out = r.json()["kit"]
    assert [(p["name"], p["outcome"]) for p in out] == [
        ("Charger", "out"),
        ("USB cable", "out"),
        ("Case", "out"),
    ]

    body = await desk.checked_in("DEV001")

    assert {p["name"]: p["outcome"] for p in body["kit"]} == {
        "Charger": "returned",
        "USB cable": "returned",
        "Case": "returned",
    }
    assert all(p["charge"] is None for p in body["kit"])
    assert body["device"]["status"] == "available"


async def test_a_missing_part_is_charged_to_the_loan_and_noted_on_the_device(kitted):
    desk = kitted
    loan = await desk.checked_out("P001", "DEV001")

    r = await desk.client.post(
        "/api/checkin",
        json={"device": "DEV001", "missing_parts": ["charger"]},
        headers=desk.desk,
    )

    assert r.status_code == 200, r.text
    kit = {p["name"]: p for p in r.json()["kit"]}
    assert kit["Charger"]["outcome"] == "missing"
    assert kit["Charger"]["charge"]["kind"] == "part_missing"
    assert kit["Charger"]["charge"]["amount"] == 25.0
    assert kit["Charger"]["charge"]["status"] == "open"
    assert kit["Case"]["outcome"] == "returned"
    device = await desk.device("DEV001")
    assert "Charger missing" in device["notes"]
    assert f"loan {loan['id']}" in device["notes"]
    # The missing charger does not go out with the next loan.
    r = await desk.checkout("P003", "DEV001")
    assert [p["name"] for p in r.json()["kit"]] == ["USB cable", "Case"]


async def test_a_damaged_part_scanned_by_its_barcode_is_charged_as_damaged(kitted):
    desk = kitted
    loan = await desk.checked_out("P001", "DEV001")

    r = await desk.client.post(
        "/api/checkin",
        json={"device": "DEV001", "damaged_parts": ["CAB001"]},
        headers=desk.desk,
    )

    assert r.status_code == 200, r.text
    kit = await _charges(desk, loan["id"])
    assert kit["USB cable"]["outcome"] == "damaged"
    assert kit["USB cable"]["charge"]["kind"] == "part_damaged"
    assert kit["USB cable"]["charge"]["amount"] == 5.0
    parts = (await desk.client.get("/api/devices/DEV001/kit", headers=desk.desk)).json()
    assert {p["name"]: p["status"] for p in parts["items"]}["USB cable"] == "damaged"


async def test_an_unknown_part_refuses_the_checkin_and_changes_nothing(kitted, problem_code):
    desk = kitted
    await desk.checked_out("P001", "DEV001")

    r = await desk.client.post(
        "/api/checkin",
        json={"device": "DEV001", "missing_parts": ["stylus"]},
        headers=desk.desk,
    )

    assert problem_code(r, 422) == "validation_error"
    assert r.json()["errors"][0]["field"] == "missing_parts[0]"
    assert (await desk.device("DEV001"))["status"] == "on_loan"


async def test_a_part_found_after_checkin_is_set_returned_and_its_charge_waived(kitted):
    desk = kitted
    loan = await desk.checked_out("P001", "DEV001")
    await desk.client.post(
        "/api/checkin",
        json={"device": "DEV001", "missing_parts": ["Case"]},
        headers=desk.desk,
    )

    r = await desk.client.post(
        f"/api/loans/{loan['id']}/kit", json={"returned": ["Case"]}, headers=desk.desk
    )

    assert r.status_code == 200, r.text
    case = {i["name"]: i for i in r.json()["items"]}["Case"]
    assert case["outcome"] == "returned"
    assert case["charge"] is None
    kit = (await desk.client.get("/api/devices/DEV001/kit", headers=desk.desk)).json()
    assert {p["name"]: p["status"] for p in kit["items"]}["Case"] == "present"


async def test_part_outcomes_of_a_loan_still_out_are_refused(kitted, problem_code):
    desk = kitted
    loan = await desk.checked_out("P001", "DEV001")

    r = await desk.client.post(
        f"/api/loans/{loan['id']}/kit", json={"missing": ["Case"]}, headers=desk.desk
    )

    assert problem_code(r, 409) == "loan_not_returned"


async def test_a_device_without_a_kit_checks_out_and_in_as_before(desk):
    r = await desk.checkout("P001", "DEV002")
    assert r.json()["kit"] == []

    body = await desk.checked_in("DEV002")

    assert body["kit"] == []
    assert body["processing"] is None
    assert body["device"]["status"] == "available"


async def test_only_admins_edit_kits_and_part_names_are_unique_per_device(kitted, problem_code):
    desk = kitted
    r = await desk.client.post(
        "/api/devices/DEV001/kit", json={"name": "Stylus"}, headers=desk.desk
    )
    assert problem_code(r, 403) == "forbidden"
    r = await desk.client.post(
        "/api/devices/DEV001/kit", json={"name": "Charger"}, headers=desk.admin
    )
    assert problem_code(r, 409) == "duplicate_part"
