"""Shelf audits, the not-seen report and return to service in-process (no browser): the pages
call the services and show what they did; empty, over-long and unknown values give field errors
or 404 pages (never a 5xx); desk staff are refused the admin pages."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest

pytestmark = pytest.mark.asyncio

LONG = "x" * 10_000


def csrf_of(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


async def page_login(client: Any, username: str) -> None:
    r = await client.get("/login")
    r = await client.post(
        "/login",
        data={"username": username, "password": "correct-horse", "_csrf_token": csrf_of(r.text)},
    )
    assert r.status_code == 303, r.text


async def post_form(client: Any, form_url: str, action: str, data: Any) -> Any:
    r = await client.get(form_url)
    assert r.status_code == 200, r.text
    return await client.post(action, data={**data, "_csrf_token": csrf_of(r.text)})


def error_of(html: str, field_id: str) -> str | None:
    match = re.search(rf'<p class="error" id="{field_id}-error"[^>]*>([^<]*)</p>', html)
    return unescape(match.group(1)) if match else None


def listed(html: str, name: str) -> list[str]:
    """The barcodes shown in one of the audit's lists."""
    match = re.search(rf'<ul class="scans" data-list="{name}">(.*?)</ul>', html, re.S)
    return re.findall(r'class="code"[^>]*>([^<]+)<', match.group(1)) if match else []


def count(html: str, name: str) -> int:
    match = re.search(rf'data-count="{name}">(\d+)<', html)
    assert match, f"no count for {name}"
    return int(match.group(1))


@pytest.fixture
async def admin_client(client, api, library):
    await page_login(client, "admin")
    return client


async def start(client: Any, **form: str) -> int:
    r = await post_form(client, "/admin/audits", "/admin/audits", form)
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("/", 1)[1])


async def scan(client: Any, audit: int, code: str) -> str:
    r = await post_form(
        client, f"/admin/audits/{audit}", f"/admin/audits/{audit}/scans", {"barcode": code}
    )
    assert r.status_code == 200, r.text
    return r.text


async def test_an_audit_lists_scans_and_closing_it_marks_the_missing_lost(admin_client, api):
    client = admin_client
    admin = api.headers["admin"]
    r = await client.post(
        "/api/checkout", json={"device": "DEV003", "patron": "P001"}, headers=admin
    )
    assert r.status_code in (200, 201), r.text
    audit = await start(client, branch="MAIN", location="")
    assert "Found: DEV001" in await scan(client, audit, "DEV001")
    assert "Unknown barcode: NOPE-1" in await scan(client, audit, " NOPE-1 ")
    assert "Duplicate scan: DEV001" in await scan(client, audit, "DEV001")
    html = await scan(client, audit, "DEV003")
    assert "On loan: DEV003" in html
    assert listed(html, "found") == ["DEV001"]
    assert listed(html, "unknown") == ["NOPE-1"]
    assert listed(html, "duplicate") == ["DEV001"]
    assert listed(html, "on_loan") == ["DEV003"]
    assert count(html, "not_scanned") == 3
    # "Check in" on the on-loan list returns the loan; the device moves to Found.
    r = await post_form(
        client, f"/admin/audits/{audit}", f"/admin/audits/{audit}/checkin", {"barcode": "DEV003"}
    )
    assert r.status_code == 303
    html = (await client.get(f"/admin/audits/{audit}")).text
    assert "Returned: DEV003" in unescape(html)
    assert listed(html, "found") == ["DEV001", "DEV003"]
    assert listed(html, "on_loan") == []
    # Marking lost needs a reason; the box stays ticked.
    r = await post_form(
        client,
        f"/admin/audits/{audit}",
        f"/admin/audits/{audit}/close",
        {"mark_missing_lost": "yes"},
    )
    assert r.status_code == 422
    assert error_of(r.text, "f-reason") == "Give a reason to mark the missing devices lost."
    assert 'value="yes" checked' in r.text
    r = await post_form(
        client,
        f"/admin/audits/{audit}",
        f"/admin/audits/{audit}/close",
        {"mark_missing_lost": "yes", "reason": "Not on the shelf in the December count"},
    )
    assert r.status_code == 303
    html = (await client.get(f"/admin/audits/{audit}")).text
    assert listed(html, "missing") == ["DEV002", "DEV004", "DEV005"]
    assert listed(html, "found") == ["DEV001", "DEV003"]
    assert "Not on the shelf in the December count" in html
    assert 'id="scan"' not in html  # closed: no more scanning
    r = await client.get("/api/devices/DEV002", headers=admin)
    assert r.json()["status"] == "lost"
    r = await client.get("/api/devices/DEV001", headers=admin)
    assert r.json()["status"] == "available"
    # A scan sent to a closed audit is refused in words, not with an error page.
    assert "Not recorded: DEV001" in await scan_closed(client, audit)
    listing = (await client.get("/admin/audits")).text
    assert f'href="/admin/audits/{audit}"' in listing


async def scan_closed(client: Any, audit: int) -> str:
    r = await post_form(
        client, "/admin/audits", f"/admin/audits/{audit}/scans", {"barcode": "DEV001"}
    )
    assert r.status_code == 200
    return r.text


async def test_bad_audit_input_gives_field_errors_or_404_pages(admin_client):
    client = admin_client
    r = await post_form(client, "/admin/audits", "/admin/audits", {"branch": "", "location": ""})
    assert r.status_code == 422
    assert error_of(r.text, "f-branch") == "Choose the branch to audit."
    r = await post_form(
        client, "/admin/audits", "/admin/audits", {"branch": LONG, "location": LONG}
    )
    assert r.status_code == 422
    assert error_of(r.text, "f-location").startswith("Use at most 100 characters")
    r = await post_form(client, "/admin/audits", "/admin/audits", {"branch": "NOWHERE"})
    assert r.status_code == 422
    assert "NOWHERE" in error_of(r.text, "f-branch")
    audit = await start(client, branch="MAIN", location="Shelf A")
    r = await post_form(
        client, "/admin/audits", "/admin/audits", {"branch": "MAIN", "location": "Shelf A"}
    )
    assert r.status_code == 422
    assert "already open" in error_of(r.text, "f-location")
    for bad in ("abc", "0", "99999", "99999999999999999999", LONG):
        assert (await client.get(f"/admin/audits/{bad}")).status_code == 404
    html = await scan(client, audit, LONG)
    assert "That is too long to be a barcode" in html
    assert "Nothing was scanned" in await scan(client, audit, "   ")
    r = await post_form(
        client,
        f"/admin/audits/{audit}",
        f"/admin/audits/{audit}/close",
        {"mark_missing_lost": "yes", "reason": LONG},
    )
    assert r.status_code == 422
    assert error_of(r.text, "f-reason").startswith("Use at most 500 characters")
    r = await post_form(client, f"/admin/audits/{audit}", "/admin/audits/424242/close", {})
    assert r.status_code == 404
    r = await post_form(client, f"/admin/audits/{audit}", f"/admin/audits/{audit}/cancel", {})
    assert r.status_code == 303
    html = (await client.get(f"/admin/audits/{audit}")).text
    assert "cancelled" in html and 'id="scan"' not in html
    r = await post_form(client, f"/admin/audits/{audit}", f"/admin/audits/{audit}/cancel", {})
    assert r.status_code == 409
    r = await client.get("/admin/audits?status=" + LONG + "&page=" + LONG)
    assert r.status_code == 200


async def test_the_not_seen_report_filters_and_refuses_bad_days(admin_client, clock):
    client = admin_client
    clock.advance(days=40)
    await page_login(client, "admin")
    r = await client.get("/admin/inventory/not-seen?days=30&kind=laptop")
    assert r.status_code == 200
    assert re.findall(r'href="/admin/devices/([^"]+)"', r.text) == ["DEV004", "DEV005"]
    r = await client.get("/admin/inventory/not-seen?days=60")
    assert "Every device has been seen" in r.text
    for bad in ("abc", "-1", "99999", LONG):
        r = await client.get("/admin/inventory/not-seen", params={"days": bad, "branch": LONG})
        assert r.status_code == 422
        assert error_of(r.text, "f-days").startswith("Enter a whole number")


async def test_return_to_service_steps_are_set_per_kind_and_ticked_off(admin_client, api, client):
    admin = api.headers["admin"]
    steps_url = "/admin/processing/steps/laptop"
    r = await post_form(client, "/admin/processing", steps_url, {"steps": "Wipe\n\n wipe \n"})
    assert r.status_code == 422
    assert "listed twice" in error_of(r.text, "steps-laptop")
    r = await post_form(client, "/admin/processing", steps_url, {"steps": LONG})
    assert r.status_code == 422
    assert "at most 200 characters" in error_of(r.text, "steps-laptop")
    r = await post_form(client, "/admin/processing", "/admin/processing/steps/toaster", {})
    assert r.status_code == 404
    r = await post_form(
        client, "/admin/processing", steps_url, {"steps": "Wipe\r\nInspect\nCharge"}
    )
    assert r.status_code == 303
    html = (await client.get("/admin/processing")).text
    assert "Wipe\nInspect\nCharge</textarea>" in html
    for call in ("/api/checkout", "/api/checkin"):
        body = (
            {"device": "DEV004", "patron": "P001"}
            if call == "/api/checkout"
            else {"device": "DEV004"}
        )
        r = await client.post(call, json=body, headers=admin)
        assert r.status_code in (200, 201), r.text
    html = (await client.get("/admin/processing")).text
    assert "DEV004 · laptop · MAIN" in html
    action = "/admin/processing/DEV004/steps"
    r = await post_form(client, "/admin/processing", action, {})
    assert r.status_code == 422 and "Tick at least one step" in r.text
    r = await post_form(client, "/admin/processing", action, {"step": "Polish"})
    assert r.status_code == 422 and "is not a step" in unescape(r.text)
    r = await post_form(client, "/admin/processing", action, {"step": ["Wipe", "Inspect"]})
    assert r.status_code == 303
    html = (await client.get("/admin/processing")).text
    assert re.search(
        r'value="Wipe" checked disabled>\s*<label[^>]*>Wipe <span class="muted">\(done', html
    )
    # Desk staff finish it from the desk's own page.
    await page_login(client, "desk")
    r = await post_form(
        client, "/desk/processing", "/desk/processing/DEV004/steps", {"step": "Charge"}
    )
    assert r.status_code == 303
    assert "DEV004 is ready" in (await client.get("/desk/processing")).text
    r = await client.get("/api/devices/DEV004", headers=admin)
    assert r.json()["status"] == "available"
    r = await post_form(
        client, "/desk/processing", "/desk/processing/DEV004/steps", {"step": "Wipe"}
    )
    assert r.status_code == 422 and "not in processing" in r.text
    r = await post_form(client, "/desk/processing", f"/desk/processing/{LONG}/steps", {"step": "x"})
    assert r.status_code == 404


async def test_desk_staff_get_403_on_the_admin_pages(client, api, library):
    await page_login(client, "desk")
    for url in ("/admin/audits", "/admin/audits/1"):
        r = await client.get(url)
        assert r.status_code == 403, url
    # The not-seen inventory and the processing queue are desk work (the table's device.read
    # and processing.work); the steps editor on /admin/processing is not.
    assert (await client.get("/admin/inventory/not-seen")).status_code == 200
    r = await client.get("/admin/processing")
    assert r.status_code == 200
    assert "Steps for each kind" not in r.text
    r = await client.get("/desk/processing")
    assert r.status_code == 200
    assert "Steps for each kind" not in r.text  # the editor is for admins
