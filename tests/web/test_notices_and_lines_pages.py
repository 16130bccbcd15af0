"""Issue 12 in a real browser, as the hotspot coordinator (an admin), at desktop width and on a
390 x 844 phone: the red "Email/SMS not set up" warning on the dashboard and jobs page, the
notices page with its reasons and "Send again" (point 1); adding a data plan and a line,
installing it in a hotspot, swapping and retiring it from the device page (point 6)."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from browser_accounts import log_in_staff
from playwright.sync_api import expect

from lending.circulation import luhn_check_digit

COORDINATOR = ("coordinator", "coordinator-pass-123")
SCREENS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
_serial = itertools.count(1)


@pytest.fixture(params=sorted(SCREENS))
def screen(request, browser) -> Any:
    """A fresh browser context at desktop width or on a 390 x 844 phone; `.name` says which."""
    phone = request.param == "phone"
    context = browser.new_context(viewport=SCREENS[request.param], is_mobile=phone, has_touch=phone)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.screen_name = request.param
    yield page
    context.close()


@pytest.fixture
def coordinator(server) -> tuple[str, str]:
    r = server.api("GET", "/api/staff")
    if COORDINATOR[0] not in r.text:
        server.api(
            "POST",
            "/api/staff",
            expect=201,
            json={"username": COORDINATOR[0], "password": COORDINATOR[1], "role": "admin"},
        )
    return COORDINATOR


def unique(prefix: str) -> str:
    return f"{prefix}{next(_serial)}{datetime.now(UTC):%H%M%S%f}"


def iccid() -> str:
    body = f"890126{datetime.now(UTC):%H%M%S%f}{next(_serial):01d}"[:19]
    return body + str(luhn_check_digit(body))


def shot(page: Any, review_screenshot: Any, name: str) -> None:
    review_screenshot(page, f"{name}-{page.screen_name}")


def overdue_notices(server: Any, tag: str) -> tuple[str, str]:
    """Two patrons with email and a laptop each, overdue 60 days from now (as the jobs see it):
    Ana's notice waits (email not set up); Ben returned his first, so his is "not sent"."""
    cards = []
    for who in ("Ana", "Ben"):
        card, barcode = f"NT{tag}{who}", f"NTD{tag}{who}"
        server.api("POST", "/api/devices", expect=201, json={
            "barcode": barcode, "kind": "laptop", "model": "Notice Laptop",
            "serial_number": f"SN-{barcode}", "branch": "MAIN"})  # fmt: skip
        server.api("POST", "/api/patrons", expect=201, json={
            "card_number": card, "name": f"{who} {tag}", "email": f"{card.lower()}@example.org",
            "pin": "1234", "branch": "MAIN", "expires_on": "2030-01-01"})  # fmt: skip
        server.api("POST", "/api/checkout", expect=201, json={"patron": card, "device": barcode})
        cards.append(card)
    later = (datetime.now(UTC) + timedelta(days=60)).isoformat()
    server.api("POST", "/api/jobs/overdue/run", expect=200, json={"now": later})
    server.api("POST", "/api/checkin", expect=200, json={"device": f"NTD{tag}Ben"})
    reply = server.api("POST", "/api/jobs/deliver_notices/run", expect=200, json={"now": later})
    assert "LENDING_SMTP_HOST" in (reply.json()["error"] or ""), reply.text
    return cards[0], cards[1]


def test_coordinator_sees_the_email_warning_and_sends_a_not_sent_notice_again(
    screen, server, coordinator, check_accessibility, review_screenshot
):
    page = screen
    tag = unique("")[-8:]
    ana, ben = overdue_notices(server, tag)
    log_in_staff(page, server, coordinator)

    page.goto(server.base_url + "/admin")
    warning = page.locator("#notice-warning")
    expect(warning).to_contain_text("Warning: Email/SMS not set up:")
    expect(warning).to_contain_text(re.compile(r"\d+ notices? waiting"))
    expect(warning).to_contain_text("LENDING_SMTP_HOST")
    expect(warning).to_have_attribute("role", "alert")
    check_accessibility(page)
    shot(page, review_screenshot, "admin-dashboard-notice-warning")

    page.goto(server.base_url + "/admin/jobs?job=deliver_notices")
    expect(page.locator("#notice-warning")).to_contain_text("Email/SMS not set up")
    run = page.locator("table.runs tbody tr").first
    expect(run).to_contain_text("failed")
    expect(run).to_contain_text("LENDING_SMTP_HOST")
    check_accessibility(page)

    # Ana was not told: she is on the call list.
    page.goto(server.base_url + "/admin/tasks")
    expect(page.locator("#call-list")).to_contain_text(f"Ana {tag}")

    page.goto(server.base_url + "/admin/notices")
    page.get_by_label("Patron card").fill(ana)
    page.get_by_role("button", name="Show notices").click()
    expect(page.locator("#notices tbody tr")).to_have_count(1)
    expect(page.locator("#notices")).to_contain_text("Pending")
    expect(page.locator("#notices")).to_contain_text("Email is not set up")
    check_accessibility(page)

    page.goto(server.base_url + f"/admin/notices?patron={ben}")
    row = page.locator("#notices tbody tr").first
    expect(row).to_contain_text("Not sent")
    expect(row).to_contain_text("the device was returned")
    check_accessibility(page)
    shot(page, review_screenshot, "admin-notices")
    row.get_by_role("button", name=re.compile("Send notice .* again")).click()

    expect(page.get_by_role("status").first).to_contain_text(f"for patron {ben} queued")
    page.goto(server.base_url + f"/admin/notices?patron={ben}&status=pending")
    expect(page.locator("#notices tbody tr")).to_have_count(1)
    events = server.api("GET", "/api/events", params={"limit": 50}).json()["items"]
    assert any(e["action"] == "notice_requeued" and e["actor"] == coordinator[0] for e in events)


def test_coordinator_adds_a_plan_and_a_line_installs_swaps_and_retires_it(
    screen, server, coordinator, check_accessibility, review_screenshot
):
    page = screen
    hotspot = unique("LNHS")
    server.api("POST", "/api/devices", expect=201, json={
        "barcode": hotspot, "kind": "hotspot", "model": "Line Hotspot",
        "serial_number": f"SN-{hotspot}", "branch": "MAIN"})  # fmt: skip
    plan_name = unique("Plan ")
    first, second = iccid(), iccid()
    log_in_staff(page, server, coordinator)

    page.goto(server.base_url + "/admin/devices/" + hotspot)
    expect(page.get_by_text("No line in this device.")).to_be_visible()
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Lines & plans").click()
    page.get_by_role("link", name="Add a data plan").first.click()
    page.get_by_label("Carrier").fill("T-Mobile")
    page.get_by_label("Plan name").fill(plan_name)
    page.get_by_label("Monthly cost").fill("15")
    page.get_by_role("button", name="Add data plan").click()
    expect(page.get_by_role("status").first).to_contain_text(f"Data plan {plan_name} added.")
    expect(page.locator("#plans")).to_contain_text(plan_name)
    check_accessibility(page)
    shot(page, review_screenshot, "admin-lines")

    page.get_by_role("link", name="Add a line").first.click()
    page.get_by_label("ICCID (SIM card number)").fill(first[:-1] + str((int(first[-1]) + 1) % 10))
    page.get_by_label("Phone number").fill("555")
    page.get_by_label("Carrier").fill("T-Mobile")
    page.get_by_role("button", name="Add line").click()
    expect(page.locator("#f-iccid-error")).to_contain_text("check digit")
    expect(page.locator("#f-phone_number-error")).to_contain_text("country code")
    check_accessibility(page)
    shot(page, review_screenshot, "admin-line-form-errors")
    page.get_by_label("ICCID (SIM card number)").fill(first)
    page.get_by_label("Phone number").fill(f"+1555{first[-7:]}")
    page.get_by_label("Data plan").select_option(label=f"T-Mobile: {plan_name}")
    page.get_by_role("button", name="Add line").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Line {first}")

    page.goto(server.base_url + "/admin/devices/" + hotspot)
    page.get_by_role("link", name="Install a line").click()
    page.get_by_label("Spare line").select_option(first)
    check_accessibility(page)
    page.get_by_role("button", name="Install line").click()
    expect(page.get_by_role("status").first).to_contain_text(f"Line {first} installed")
    expect(page.locator("#h-now").locator("..")).to_contain_text(first)
    check_accessibility(page)
    shot(page, review_screenshot, "admin-device-with-line")

    server.api("POST", "/api/lines", expect=201, json={
        "iccid": second, "phone_number": f"+1555{second[-7:]}", "carrier": "T-Mobile"})  # fmt: skip
    page.get_by_role("link", name="Swap line").click()
    page.get_by_label("Spare line").select_option(second)
    page.get_by_role("button", name="Swap line").click()
    expect(page.get_by_role("status").first).to_contain_text(f"Line {second} installed")
    expect(page.locator("#h-moves").locator("..")).to_contain_text(first)

    page.get_by_role("button", name="Retire line").click()
    expect(page.get_by_role("status").first).to_contain_text(f"Line {second} retired")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Line {second}")
    expect(page.locator("dl.facts")).to_contain_text("cancelled")
    check_accessibility(page)
    page.goto(server.base_url + "/admin/devices/" + hotspot)
    expect(page.get_by_text("No line in this device.")).to_be_visible()
