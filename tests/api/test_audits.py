"""Shelf audits (/api/audits): scans sorted into live lists, a close that lists the missing,
records last-seen and can mark the missing lost; and the "not seen for N days" report.

The `library` fixture: branch MAIN holds DEV001-DEV005; branch EAST holds nothing yet."""

from __future__ import annotations

import pytest


class Audit:
    def __init__(self, desk, audit_id):
        self.desk, self.id = desk, audit_id

    async def scan(self, barcode):
        r = await self.desk.client.post(
            f"/api/audits/{self.id}/scans", json={"barcode": barcode}, headers=self.desk.admin
        )
        assert r.status_code == 201, r.text
        return r.json()

    async def list(self, name):
        r = await self.desk.client.get(
            f"/api/audits/{self.id}/items", params={"list": name}, headers=self.desk.admin
        )
        assert r.status_code == 200, r.text
        return [i["barcode"] for i in r.json()["items"]]

    async def close(self, **body):
        r = await self.desk.client.post(
            f"/api/audits/{self.id}/close", json=body, headers=self.desk.admin
        )
        assert r.status_code == 200, r.text
        return r.json()


async def start(desk, branch="MAIN", location=None):
    body = {"branch": branch} | ({"location": location} if location else {})
    r = await desk.client.post("/api/audits", json=body, headers=desk.admin)
    assert r.status_code == 201, r.text
    return Audit(desk, r.json()["id"])


@pytest.fixture
async def audit(desk):
    return await start(desk)


async def test_a_scanned_device_of_the_branch_is_found_and_a_second_scan_is_a_duplicate(audit):
    first = await audit.scan("DEV001")
    again = await audit.scan("DEV001\r\n")

    assert first["list"] == "found"
    assert first["device"]["barcode"] == "DEV001"
    assert again["list"] == "duplicate"
    assert await audit.list("found") == ["DEV001"]
    assert await audit.list("duplicate") == ["DEV001"]


async def test_a_device_of_another_branch_and_an_unknown_barcode_get_their_own_lists(desk):
    await desk.add_device("EAST01", branch="EAST")
    audit = await start(desk)

    assert (await audit.scan("EAST01"))["list"] == "other_branch"
    assert (await audit.scan("NOSUCH"))["list"] == "unknown"
    assert await audit.list("other_branch") == ["EAST01"]
    assert await audit.list("unknown") == ["NOSUCH"]
    assert await audit.list("found") == []


async def test_a_device_recorded_on_loan_offers_a_checkin_and_moves_to_found_after_it(desk, audit):
    loan = await desk.checked_out("P001", "DEV002")

    scan = await audit.scan("DEV002")

    assert scan["list"] == "on_loan"
    assert scan["loan"]["id"] == loan["id"]
    assert scan["loan"]["patron"] == "P001"
    await desk.checked_in("DEV002")
    assert await audit.list("on_loan") == []
    assert await audit.list("found") == ["DEV002"]


async def test_closing_lists_the_expected_devices_not_scanned_and_records_last_seen(desk, audit):
    await desk.checked_out("P001", "DEV005")  # out on loan: not expected on the shelf
    await desk.travel(hours=1)
    for barcode in ("DEV001", "DEV002", "DEV004"):
        await audit.scan(barcode)
    live = await desk.client.get(f"/api/audits/{audit.id}", headers=desk.admin)
    assert live.json()["counts"]["missing"] == 1

    closed = await audit.close()

    assert closed["status"] == "closed"
    assert [m["barcode"] for m in closed["missing"]] == ["DEV003"]
    assert closed["counts"] == {
        "found": 3,
        "other_branch": 0,
        "on_loan": 0,
        "unknown": 0,
        "duplicate": 0,
        "missing": 1,
    }
    assert (await desk.device("DEV001"))["last_seen_at"] == "2026-12-01T11:00:00-06:00"
    assert (await desk.device("DEV003"))["last_seen_at"] is None
    assert (await desk.device("DEV003"))["status"] == "available"
    r = await desk.client.post(
        f"/api/audits/{audit.id}/scans", json={"barcode": "DEV003"}, headers=desk.admin
    )
    assert desk.problem(r, 409) == "audit_closed"


async def test_closing_can_mark_the_missing_lost_with_a_reason(desk, audit):
    await desk.checked_out("P001", "DEV001")
    hold = await desk.hold("P003")
    await desk.checked_in("DEV001")  # DEV001 now waits on the hold shelf for P003
    await audit.scan("DEV002")
    await audit.scan("DEV004")
    await audit.scan("DEV005")

    r = await desk.client.post(
        f"/api/audits/{audit.id}/close", json={"mark_missing_lost": True}, headers=desk.admin
    )
    assert desk.problem(r, 422) == "validation_error"
    closed = await audit.close(mark_missing_lost=True, reason="Not on the shelf at inventory")

    assert sorted(m["barcode"] for m in closed["missing"]) == ["DEV001", "DEV003"]
    assert closed["lost_reason"] == "Not on the shelf at inventory"
    for barcode in ("DEV001", "DEV003"):
        device = await desk.device(barcode)
        assert device["status"] == "lost"
        assert "Not on the shelf at inventory" in device["notes"]
    assert (await desk.device("DEV002"))["status"] == "available"
    # The hold the lost device sat on goes back to waiting, first in line.
    waiting = (await desk.holds())["items"]
    assert [(h["id"], h["status"], h["device"]) for h in waiting] == [(hold["id"], "waiting", None)]
    events = await desk.events(action="marked_lost")
    assert sorted(e["subject"] for e in events) == ["DEV001", "DEV003"]


async def test_an_audit_of_one_location_expects_only_the_devices_kept_there(desk):
    for barcode in ("DEV001", "DEV002"):
        r = await desk.client.patch(
            f"/api/devices/{barcode}", json={"location": "Shelf A"}, headers=desk.admin
        )
        assert r.status_code == 200, r.text
    audit = await start(desk, location="Shelf A")
    await audit.scan("DEV001")

    closed = await audit.close()

    assert [m["barcode"] for m in closed["missing"]] == ["DEV002"]
    assert closed["location"] == "Shelf A"


async def test_one_open_audit_per_branch_and_location_and_desk_staff_cannot_audit(desk, audit):
    r = await desk.client.post("/api/audits", json={"branch": "MAIN"}, headers=desk.admin)
    assert desk.problem(r, 409) == "audit_already_open"
    r = await desk.client.post(
        f"/api/audits/{audit.id}/scans", json={"barcode": "DEV001"}, headers=desk.desk
    )
    assert desk.problem(r, 403) == "forbidden"


async def test_devices_not_seen_for_n_days_are_listed_and_a_checkin_is_a_sighting(desk):
    await desk.checked_out("P001", "DEV001")
    await desk.checked_in("DEV001")
    await desk.travel(days=40)

    r = await desk.client.get(
        "/api/inventory/not-seen", params={"days": 30, "branch": "MAIN"}, headers=desk.admin
    )
    assert r.status_code == 200, r.text
    seen = {i["barcode"]: i["last_seen_at"] for i in r.json()["items"]}
    assert seen["DEV001"] == "2026-12-01T10:00:00-06:00"
    assert seen["DEV002"] is None  # never seen: counts from when it was added

    await desk.checked_out("P001", "DEV001")
    await desk.checked_in("DEV001")
    r = await desk.client.get("/api/inventory/not-seen", params={"days": 30}, headers=desk.admin)
    listed = [i["barcode"] for i in r.json()["items"]]
    assert "DEV001" not in listed
    assert {"DEV002", "DEV003", "DEV004", "DEV005"} <= set(listed)
