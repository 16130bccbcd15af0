"""What only a supervisor (admin) may do to a patron: a new PIN and lifting a block. Desk staff
are refused through the API and through the pages alike, and nothing is written; placing a
block stays a desk action."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


async def resident_login(api, card: str, pin: str) -> int:
    r = await api.client.post("/api/auth/token", json={"card_number": card, "pin": pin})
    return r.status_code


async def patron(api, card: str) -> dict[str, Any]:
    r = await api.client.get(f"/api/patrons/{card}", headers=api.headers["admin"])
    assert r.status_code == 200, r.text
    return r.json()


async def events(api, action: str) -> list[dict[str, Any]]:
    r = await api.client.get("/api/events", params={"action": action}, headers=api.headers["admin"])
    assert r.status_code == 200, r.text
    return r.json()["items"]


def assert_forbidden(response, mentions: str) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "forbidden"
    assert mentions in body["detail"]


# ---- the API ----------------------------------------------------------------------------


async def test_desk_cannot_set_a_patrons_pin_and_so_cannot_log_in_as_them(api, library):
    r = await api.client.patch(
        "/api/patrons/P001", json={"pin": "9999"}, headers=api.headers["desk"]
    )
    assert_forbidden(r, "patron.set_pin")
    assert "administrators" in r.json()["detail"]
    assert await resident_login(api, "P001", "9999") == 401
    assert await resident_login(api, "P001", "1234") == 200
    assert [e for e in await events(api, "patron_updated") if e["subject"] == "P001"] == []


async def test_a_refused_pin_change_writes_none_of_the_other_changes_in_the_same_request(
    api, library
):
    before = await patron(api, "P001")
    r = await api.client.patch(
        "/api/patrons/P001",
        json={"phone": "555-0199", "email": "new@example.org", "pin": "9999"},
        headers=api.headers["desk"],
    )
    assert_forbidden(r, "patron.set_pin")
    after = await patron(api, "P001")
    assert (after["phone"], after["email"]) == (before["phone"], before["email"])


async def test_an_admin_sets_a_new_pin_and_the_resident_logs_in_with_it(api, library):
    r = await api.client.patch(
        "/api/patrons/P001", json={"pin": "9999"}, headers=api.headers["admin"]
    )
    assert r.status_code == 200, r.text
    assert await resident_login(api, "P001", "9999") == 200
    assert await resident_login(api, "P001", "1234") == 401


async def test_desk_places_a_block_but_cannot_lift_it(api, library):
    desk = api.headers["desk"]
    r = await api.client.patch(
        "/api/patrons/P002", json={"blocked": True, "block_reason": "Unpaid charger"}, headers=desk
    )
    assert r.status_code == 200, r.text
    assert r.json()["blocked"] is True
    r = await api.client.patch("/api/patrons/P002", json={"blocked": False}, headers=desk)
    assert_forbidden(r, "patron.unblock")
    kept = await patron(api, "P002")
    assert (kept["blocked"], kept["block_reason"]) == (True, "Unpaid charger")
    assert [e["actor"] for e in await events(api, "patron_unblocked")] == []
    r = await api.client.post("/api/checkout", json={"patron": "P002", "device": "DEV002"},
                              headers=desk)  # fmt: skip
    assert r.status_code == 409 and r.json()["code"] == "patron_blocked"


async def test_an_admin_lifts_a_block(api, library):
    await api.client.patch("/api/patrons/P002", json={"blocked": True, "block_reason": "Lost"},
                           headers=api.headers["desk"])  # fmt: skip
    r = await api.client.patch(
        "/api/patrons/P002", json={"blocked": False}, headers=api.headers["admin"]
    )
    assert r.status_code == 200, r.text
    assert r.json()["blocked"] is False
    assert [e["actor"] for e in await events(api, "patron_unblocked")] == ["admin"]


async def test_unblocked_false_on_a_patron_who_is_not_blocked_is_not_an_unblock(api, library):
    r = await api.client.patch(
        "/api/patrons/P003", json={"blocked": False, "phone": "555-0142"},
        headers=api.headers["desk"],
    )  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["phone"] == "555-0142"


async def test_desk_still_edits_contact_details_and_registers_patrons_with_a_first_pin(
    api, library
):
    desk = api.headers["desk"]
    r = await api.client.patch("/api/patrons/P001", json={"phone": "555-0123"}, headers=desk)
    assert r.status_code == 200 and r.json()["phone"] == "555-0123"
    r = await api.client.post(
        "/api/patrons", json={"card_number": "P200", "name": "New", "pin": "4321"}, headers=desk
    )
    assert r.status_code == 201, r.text
    assert await resident_login(api, "P200", "4321") == 200


async def test_desk_cannot_retire_a_device_by_setting_its_status(api, library):
    r = await api.client.patch(
        "/api/devices/DEV002", json={"status": "retired"}, headers=api.headers["desk"]
    )
    assert r.status_code == 403, r.text
    r = await api.client.get("/api/devices/DEV002", headers=api.headers["desk"])
    assert r.json()["status"] == "available"


# ---- the pages --------------------------------------------------------------------------


@pytest.fixture
async def desk_pages(app, api, library):
    """A browser-like client logged in to the pages as the desk account."""
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    await client.get("/login")
    client.headers["x-csrftoken"] = client.cookies.get("lending_csrf")
    r = await client.post("/login", data={"username": "desk", "password": "correct-horse"})
    assert r.status_code == 303, r.text
    try:
        yield client
    finally:
        await client.aclose()


async def test_desk_gets_the_403_page_for_a_new_pin_and_the_pin_is_unchanged(api, desk_pages):
    r = await desk_pages.post("/admin/patrons/P001/pin", data={"pin": "9999", "pin_again": "9999"})
    assert r.status_code == 403
    assert "text/html" in r.headers["content-type"]
    assert "for administrators" in r.text
    assert await resident_login(api, "P001", "9999") == 401
    assert await resident_login(api, "P001", "1234") == 200


async def test_desk_blocks_a_patron_on_the_pages_but_gets_the_403_page_to_lift_it(api, desk_pages):
    r = await desk_pages.post("/admin/patrons/P002/block", data={"block_reason": "Lost card"})
    assert r.status_code == 303, r.text
    assert (await patron(api, "P002"))["blocked"] is True
    r = await desk_pages.post("/admin/patrons/P002/unblock", data={})
    assert r.status_code == 403
    assert (await patron(api, "P002"))["block_reason"] == "Lost card"


async def test_the_patron_page_offers_desk_only_what_desk_may_do(api, desk_pages):
    await desk_pages.post("/admin/patrons/P002/block", data={"block_reason": "Lost card"})
    page = (await desk_pages.get("/admin/patrons/P002")).text
    assert "Edit details" in page
    assert "/admin/patrons/P002/unblock" not in page
    assert "/admin/patrons/P002/pin" not in page
    assert "Only an administrator can lift a block." in page
    page = (await desk_pages.get("/admin/patrons/P001")).text
    assert "/admin/patrons/P001/block" in page


async def test_the_navigation_shows_desk_only_the_sections_it_may_open(desk_pages):
    page = (await desk_pages.get("/admin/patrons")).text
    nav = page[page.index("<nav") : page.index("</nav>")]
    for shown in ("/admin/devices", "/admin/patrons", "/admin/policies", "/desk"):
        assert f'href="{shown}"' in nav
    for hidden in ("/admin/staff", "/admin/labels", "/admin/jobs", "/admin/imports",
                   "/admin/reports", "/admin/audits", 'href="/admin"'):  # fmt: skip
        assert hidden not in nav
    desk = (await desk_pages.get("/desk")).text
    assert 'href="/admin/patrons"' in desk and 'href="/admin"' not in desk
