"""A device's kit and maintenance forms, and the desk's kit checklist, in-process (no browser):
bad values come back as field errors (never a 5xx), the changes show on the device page, the
checklist charges what was ticked, and desk staff cannot edit kits."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest

pytestmark = pytest.mark.asyncio

LONG = "x" * 10_000
FRAGMENT = {"x-desk-fragment": "1"}


def csrf_of(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


async def page_login(client: Any, username: str, password: str = "correct-horse") -> str:
    r = await client.get("/login")
    r = await client.post(
        "/login",
        data={"username": username, "password": password, "_csrf_token": csrf_of(r.text)},
    )
    assert r.status_code == 303, r.text
    return csrf_of((await client.get("/desk")).text)


def field_error(html: str, field_id: str) -> str | None:
    match = re.search(rf'class="error" id="f-{field_id}-error">([^<]*)<', html)
    return unescape(match.group(1)) if match else None


def result_text(html: str) -> str:
    match = re.search(r'<div class="result (\w+)".*?</div>', html, re.S)
    assert match, html
    return match.group(1) + ": " + " ".join(re.sub(r"<[^>]+>", " ", match.group(0)).split())


async def test_bad_kit_and_repair_values_show_field_errors_and_good_ones_show_on_the_page(
    client, api, library
):
    token = await page_login(client, "admin")
    base = "/admin/devices/DEV001"

    async def post(path: str, **data: str) -> Any:
        return await client.post(base + path, data={**data, "_csrf_token": token})

    r = await post("/kit", name="", replacement_cost="lots", barcode=LONG)
    assert r.status_code == 422
    assert field_error(r.text, "name") == "This field is required."
    assert field_error(r.text, "replacement_cost") == "Enter a number."
    assert field_error(r.text, "barcode") == "Use at most 80 characters."
    assert 'value="lots"' in r.text  # the typed value is kept
    r = await post("/kit", name=LONG, replacement_cost="-3")
    assert r.status_code == 422
    assert field_error(r.text, "name") == "Use at most 100 characters."
    assert field_error(r.text, "replacement_cost") == "Enter a number of at least 0."

    r = await post("/kit", name="Charger", replacement_cost="25", barcode="KITF-CH1")
    assert r.status_code == 303, r.text
    r = await post("/kit", name="Charger ", replacement_cost="5")
    assert r.status_code == 422
    assert "already has a part" in field_error(r.text, "name")
    r = await post("/kit", name="Cable", replacement_cost="9.5", barcode="DEV002")
    assert r.status_code == 422
    assert "device's barcode" in field_error(r.text, "barcode")

    page = (await client.get(base)).text
    part = re.search(r'<tr id="part-(\d+)"><th scope="row" data-label="Part">Charger</th>', page)
    assert part, page
    pid = part.group(1)
    assert "25.00" in page and "KITF-CH1" in page

    r = await post(f"/kit/{pid}", name="", replacement_cost="x" * 50, barcode="")
    assert r.status_code == 422
    assert field_error(r.text, f"p{pid}-name") == "This field is required."
    assert field_error(r.text, f"p{pid}-replacement_cost") == "Enter a number."
    r = await post(f"/kit/{pid}", name="Wall charger", replacement_cost="30", barcode="")
    assert r.status_code == 303
    r = await post(f"/kit/{pid}/status", status="stolen")
    assert r.status_code == 422 and "Choose Remove or Present again" in r.text
    assert (await client.post(base + "/kit/99999/status", data={"status": "removed",
            "_csrf_token": token})).status_code == 404  # fmt: skip
    assert (await post("/kit/0", name="A")).status_code == 404
    page = (await client.get(base)).text
    assert "Wall charger" in page and "30.00" in page and "KITF-CH1" not in page

    r = await post("/maintenance", problem="", cost="abc")
    assert r.status_code == 422
    assert field_error(r.text, "problem") == "This field is required."
    assert field_error(r.text, "cost") == "Enter a number."
    r = await post("/maintenance", problem=LONG)
    assert r.status_code == 422
    assert field_error(r.text, "problem") == "Use at most 2000 characters."
    r = await post("/maintenance", problem="Cracked screen", cost="40")
    assert r.status_code == 303
    page = (await client.get(base)).text
    assert "Cracked screen" in page and "Resolve the open repair" in page
    assert "in repair" in page.replace("in_repair", "in repair")
    record = re.search(r'/maintenance/(\d+)/resolve"', page).group(1)
    r = await post(f"/maintenance/{record}/resolve", resolution=" ", cost="-1")
    assert r.status_code == 422
    assert field_error(r.text, "resolution") == "This field is required."
    assert field_error(r.text, "cost") == "Enter a number of at least 0."
    r = await post("/maintenance/99999/resolve", resolution="Fixed")
    assert r.status_code == 404
    r = await post(f"/maintenance/{record}/resolve", resolution="Screen replaced", cost="55")
    assert r.status_code == 303
    page = (await client.get(base)).text
    assert "Screen replaced" in page and "55.00" in page and "Open a repair" in page
    r = await post(f"/maintenance/{record}/resolve", resolution="Again")
    assert r.status_code == 409 or r.status_code == 422
    assert "already resolved" in r.text

    r = await post(f"/kit/{pid}/status", status="removed")
    assert r.status_code == 303
    assert 'data-label="Part">Wall charger' not in (await client.get(base)).text


async def test_desk_staff_cannot_edit_kits_or_resolve_repairs_but_can_report_damage(
    client, api, library
):
    token = await page_login(client, "desk")
    r = await client.post(
        "/admin/devices/DEV001/kit",
        data={"name": "Charger", "replacement_cost": "5", "_csrf_token": token},
    )
    assert r.status_code == 403
    kit = await client.get("/api/devices/DEV001/kit", headers=api.headers["admin"])
    assert kit.json()["total"] == 0
    # Opening a repair is desk work (repair.open, as POST /api/devices/{barcode}/maintenance).
    r = await client.post(
        "/admin/devices/DEV001/maintenance", data={"problem": "Broken", "_csrf_token": token}
    )
    assert r.status_code == 303, r.text
    log = await client.get("/api/devices/DEV001/maintenance", headers=api.headers["admin"])
    record = log.json()["items"][0]["id"]
    r = await client.post(
        f"/admin/devices/DEV001/maintenance/{record}/resolve",
        data={"resolution": "Fixed", "_csrf_token": token},
    )
    assert r.status_code == 403
    device = await client.get("/api/devices/DEV001", headers=api.headers["admin"])
    assert device.json()["status"] == "in_repair"


async def test_the_desk_checklist_charges_ticked_parts_and_refuses_bad_values(client, api, library):
    admin = api.headers["admin"]
    parts = {}
    for name, cost in (("Charger", 25), ("Case", 12.5)):
        r = await client.post(
            "/api/devices/DEV002/kit", json={"name": name, "replacement_cost": cost}, headers=admin
        )
        assert r.status_code == 201, r.text
        parts[name] = str(r.json()["id"])
    r = await client.post(
        "/api/checkout", json={"device": "DEV002", "patron": "P001"}, headers=admin
    )
    assert r.status_code in (200, 201), r.text
    token = await page_login(client, "desk")
    headers = {"x-csrftoken": token, **FRAGMENT}

    async def desk(path: str, **data: str) -> Any:
        r = await client.post(path, data=data, headers=headers)
        assert r.status_code == 200, r.text
        return r

    r = await desk("/desk/scan", mode="checkin", code="DEV002")
    assert result_text(r.text).startswith("ok: ✓ Done: Returned: DEV002")
    assert 'class="kit-form' in r.text and "Charger" in r.text and "(12.50)" in r.text
    loan = re.search(r'name="loan" value="(\d+)"', r.text).group(1)
    checklist = {"loan": loan, "device": "DEV002"}

    r = await desk("/desk/kit", **checklist, device_damaged="on", damage="", **{
        f"part-{parts['Charger']}": "lost"})  # fmt: skip
    assert "Kit not recorded" in r.text
    assert "Choose returned, missing or damaged for each part." in r.text
    assert "Say what is wrong with the device." in r.text
    assert 'class="kit-form' in r.text  # the checklist again, to fix
    r = await desk("/desk/kit", **checklist, damage=LONG)
    assert "Use at most 2000 characters." in r.text
    for bad in ("abc", "0", "9" * 30, ""):
        r = await desk("/desk/kit", loan=bad, device="DEV002")
        assert "cannot be found" in r.text
    r = await desk("/desk/kit", loan=loan, device="DEV001")
    assert "is not for the device" in r.text

    r = await desk("/desk/kit", **checklist, **{f"part-{parts['Charger']}": "missing",
                                                 f"part-{parts['Case']}": "returned"})  # fmt: skip
    text = result_text(r.text)
    assert "Kit recorded: DEV002" in text
    assert "Charged 25.00 for Charger (missing)." in text
    assert 'class="kit-form' not in r.text
    charges = await client.get("/api/loans/" + loan + "/kit", headers=admin)
    charged = {i["name"]: i["charge"] for i in charges.json()["items"]}
    assert charged["Charger"]["amount"] == 25 and charged["Case"] is None

    r = await desk("/desk/kit", **checklist, damage="Screen cracked", **{
        f"part-{parts['Charger']}": "returned", f"part-{parts['Case']}": "damaged"})  # fmt: skip
    text = result_text(r.text)
    assert "Charged 12.50 for Case (damaged)." in text and "Charger" not in text
    assert "sent to repair" in text
    device = await client.get("/api/devices/DEV002", headers=admin)
    assert device.json()["status"] == "in_repair"


async def test_a_checkin_without_a_kit_shows_no_checklist(client, api, library):
    admin = api.headers["admin"]
    r = await client.post(
        "/api/checkout", json={"device": "DEV003", "patron": "P002"}, headers=admin
    )
    assert r.status_code in (200, 201), r.text
    token = await page_login(client, "desk")
    r = await client.post(
        "/desk/scan",
        data={"mode": "checkin", "code": "DEV003"},
        headers={"x-csrftoken": token, **FRAGMENT},
    )
    assert result_text(r.text).startswith("ok: ✓ Done: Returned: DEV003")
    assert "kit-form" not in r.text and "Kit checklist" not in r.text
