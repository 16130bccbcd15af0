"""Return to service: after checkin a laptop (a kind with steps) is in_processing until staff
complete every step; then it goes to the hold shelf or back to available. Damage sends a device
to in_repair with a maintenance record. The pinned clock reads 2026-12-01 10:00 in Chicago."""

from __future__ import annotations

import pytest


@pytest.fixture
async def steps(desk):
    r = await desk.client.put(
        "/api/policies/laptop/steps",
        json={"steps": ["Wipe / reset", "Inspect", "Charge"]},
        headers=desk.admin,
    )
    assert r.status_code == 200, r.text
    return desk


async def _done(desk, barcode, *names):
    return await desk.client.post(
        f"/api/devices/{barcode}/processing/steps", json={"steps": list(names)}, headers=desk.desk
    )


async def test_a_laptop_stays_in_processing_until_every_step_is_done(steps, problem_code):
    desk = steps
    await desk.checked_out("P001", "DEV004")

    body = await desk.checked_in("DEV004")

    assert body["device"]["status"] == "in_processing"
    assert [s["name"] for s in body["processing"]["steps"]] == ["Wipe / reset", "Inspect", "Charge"]
    assert problem_code(await desk.checkout("P003", "DEV004"), 409) == "device_unavailable"

    await desk.travel(minutes=30)
    r = await _done(desk, "DEV004", "wipe / reset", "Inspect")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "in_processing"
    assert r.json()["processing"]["steps_left"] == ["Charge"]
    first = r.json()["processing"]["steps"][0]
    assert (first["done_by"], first["done_at"]) == ("desk", "2026-12-01T10:30:00-06:00")

    r = await _done(desk, "DEV004", "Charge")
    assert r.json()["status"] == "available"
    assert r.json()["processing"]["status"] == "done"
    assert r.json()["hold"] is None
    assert (await desk.checkout("P003", "DEV004")).status_code == 201


async def test_a_hold_placed_during_processing_waits_until_the_last_step(steps):
    desk = steps
    await desk.checked_out("P001", "DEV004")
    await desk.checked_in("DEV004")
    await desk.checked_out("P003", "DEV005")  # no other laptop on the shelf
    hold = await desk.hold("P002", kind="laptop")
    assert (await desk.holds())["items"][0]["status"] == "waiting"

    r = await _done(desk, "DEV004", "Wipe / reset", "Inspect", "Charge")

    assert r.json()["status"] == "on_hold_shelf"
    assert r.json()["hold"]["id"] == hold["id"]
    assert r.json()["hold"]["status"] == "ready"


async def test_a_laptop_returned_while_a_patron_waits_is_wiped_before_it_goes_to_the_hold_shelf(
    steps,
):
    desk = steps
    await desk.checked_out("P001", "DEV004")
    await desk.checked_out("P003", "DEV005")
    hold = await desk.hold("P002", kind="laptop")

    body = await desk.checked_in("DEV004")

    assert body["device"]["status"] == "in_processing"
    assert body["hold"] is None
    assert (await desk.holds())["items"][0]["status"] == "waiting"

    r = await _done(desk, "DEV004", "Wipe / reset", "Inspect", "Charge")

    assert r.json()["status"] == "on_hold_shelf"
    assert r.json()["hold"]["id"] == hold["id"]


async def test_damage_at_checkin_sends_the_device_to_repair_and_resolving_returns_it(
    steps, problem_code
):
    desk = steps
    await desk.checked_out("P001", "DEV004")
    r = await desk.client.post(
        "/api/checkin", json={"device": "DEV004", "damage": "Cracked screen"}, headers=desk.desk
    )
    assert r.status_code == 200, r.text
    assert r.json()["device"]["status"] == "in_repair"
    repair = r.json()["repair"]
    assert repair["problem"] == "Cracked screen"
    assert repair["opened_at"] == "2026-12-01T10:00:00-06:00"

    resolve = {"resolution": "Screen replaced", "cost": 80}
    r = await desk.client.post(
        f"/api/maintenance/{repair['id']}/resolve", json=resolve, headers=desk.desk
    )
    assert problem_code(r, 403) == "forbidden"
    r = await desk.client.post(
        f"/api/maintenance/{repair['id']}/resolve", json=resolve, headers=desk.admin
    )
    assert r.status_code == 200, r.text
    # Laptops have steps: a repaired laptop goes through return to service.
    assert r.json()["status"] == "in_processing"
    log = (await desk.client.get("/api/devices/DEV004/maintenance", headers=desk.desk)).json()
    assert log["items"][0]["resolution"] == "Screen replaced"
    assert log["items"][0]["cost"] == 80.0


async def test_damage_found_during_processing_opens_a_repair_and_a_repair_can_retire(steps):
    desk = steps
    await desk.checked_out("P001", "DEV004")
    await desk.checked_in("DEV004")

    r = await desk.client.post(
        "/api/devices/DEV004/maintenance",
        json={"problem": "Will not power on"},
        headers=desk.desk,
    )

    assert r.status_code == 201, r.text
    state = (await desk.client.get("/api/devices/DEV004/processing", headers=desk.desk)).json()
    assert state["status"] == "in_repair"
    assert state["processing"]["status"] == "repair"
    r = await desk.client.post(
        f"/api/maintenance/{r.json()['id']}/resolve",
        json={"resolution": "Beyond repair", "retire": True},
        headers=desk.admin,
    )
    assert r.json()["status"] == "retired"


async def test_a_hotspot_without_steps_repaired_goes_back_to_available(desk):
    r = await desk.client.post(
        "/api/devices/DEV002/maintenance", json={"problem": "Battery swollen"}, headers=desk.desk
    )
    assert (await desk.device("DEV002"))["status"] == "in_repair"

    r = await desk.client.post(
        f"/api/maintenance/{r.json()['id']}/resolve",
        json={"resolution": "Battery replaced", "cost": 20},
        headers=desk.admin,
    )

    assert r.json()["status"] == "available"


async def test_steps_are_refused_for_a_device_not_in_processing_or_unknown(steps, problem_code):
    desk = steps
    assert problem_code(await _done(desk, "DEV004", "Inspect"), 409) == "not_in_processing"
    await desk.checked_out("P001", "DEV004")
    await desk.checked_in("DEV004")
    r = await _done(desk, "DEV004", "Polish")
    assert problem_code(r, 422) == "validation_error"


async def test_only_admins_set_steps_and_names_must_be_distinct(steps, problem_code):
    desk = steps
    r = await desk.client.put(
        "/api/policies/laptop/steps", json={"steps": ["Inspect"]}, headers=desk.desk
    )
    assert problem_code(r, 403) == "forbidden"
    r = await desk.client.put(
        "/api/policies/laptop/steps", json={"steps": ["Inspect", "inspect"]}, headers=desk.admin
    )
    assert problem_code(r, 422) == "validation_error"
    r = await desk.client.get("/api/policies/laptop/steps", headers=desk.desk)
    assert r.json()["steps"] == ["Wipe / reset", "Inspect", "Charge"]


async def test_the_processing_queue_lists_devices_waiting_for_steps(steps):
    desk = steps
    await desk.checked_out("P001", "DEV004")
    await desk.checked_in("DEV004")

    r = await desk.client.get("/api/processing", params={"branch": "MAIN"}, headers=desk.desk)

    assert r.status_code == 200, r.text
    assert [(i["device"], i["steps_left"]) for i in r.json()["items"]] == [
        ("DEV004", ["Wipe / reset", "Inspect", "Charge"])
    ]
