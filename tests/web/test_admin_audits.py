"""A shelf audit in a real browser, driven the way a barcode scanner drives it: codes typed into
the focused scan field, each ended by Enter; the lists update without a page reload. Then the
close with "mark missing lost", and the report and return-to-service pages (axe on each)."""

from __future__ import annotations

import re

from browser_accounts import log_in_staff
from playwright.sync_api import expect


def _focused(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def test_an_audit_by_scanner_lists_found_unknown_and_duplicate_and_closes_marking_missing_lost(
    page, server, check_accessibility, review_screenshot
):
    tag = f"AUD{server.kind[0].upper()}"
    server.api(
        "POST",
        "/api/branches",
        expect=201,
        json={"code": tag, "name": f"Audit test {tag}", "timezone": "America/Chicago"},
    )
    on_shelf, gone = f"{tag}-1", f"{tag}-2"
    for barcode in (on_shelf, gone):
        server.api(
            "POST",
            "/api/devices",
            expect=201,
            json={
                "barcode": barcode,
                "kind": "laptop",
                "model": "Audit laptop",
                "serial_number": f"SN-{barcode}",
                "branch": tag,
            },
        )

    log_in_staff(page, server)
    page.goto(server.base_url + "/admin/audits")
    check_accessibility(page)
    page.get_by_label("Branch").select_option(tag)
    page.get_by_role("button", name="Start audit").click()
    page.wait_for_url(re.compile(r".*/admin/audits/\d+$"))
    assert _focused(page) == "scan"  # ready for the scanner at once
    check_accessibility(page)
    loads = page.evaluate("performance.getEntriesByType('navigation').length")
    page.evaluate("window.__same_page = true")

    for code, end in ((on_shelf, "Enter"), (f"{tag}-NOPE", "Tab"), (on_shelf, "Enter")):
        page.keyboard.type(code)  # a scanner in keyboard mode: the code, then Enter or Tab
        page.keyboard.press(end)
    expect(page.locator("#result")).to_contain_text(f"Duplicate scan: {on_shelf}")
    lists = page.locator("#audit-lists")
    expect(lists.locator('[data-list="found"] .code')).to_have_text([on_shelf])
    expect(lists.locator('[data-list="unknown"] .code')).to_have_text([f"{tag}-NOPE"])
    expect(lists.locator('[data-list="duplicate"] .code')).to_have_text([on_shelf])
    expect(lists.locator('[data-count="found"]')).to_have_text("1")
    expect(lists.locator('[data-count="not_scanned"]')).to_have_text("1")
    assert page.evaluate("window.__same_page === true")  # no reload
    assert page.evaluate("performance.getEntriesByType('navigation').length") == loads
    assert _focused(page) == "scan"
    check_accessibility(page)
    review_screenshot(page, "admin-audit-scanning")

    page.get_by_label("Mark the missing devices lost").check()
    page.get_by_role("button", name="Close audit").click()
    expect(page.locator("#f-reason-error")).to_have_text(
        "Give a reason to mark the missing devices lost."
    )
    page.get_by_label("Reason").fill("Not found in the audit test")
    page.get_by_role("button", name="Close audit").click()
    expect(page.locator(".flash")).to_contain_text("1 device(s) missing")
    expect(page.locator('[data-list="missing"] .code')).to_have_text([gone])
    expect(page.locator('[data-list="found"] .code')).to_have_text([on_shelf])
    expect(page.locator("#audit-status")).to_have_text("closed")
    check_accessibility(page)
    review_screenshot(page, "admin-audit-closed")
    assert server.api("GET", f"/api/devices/{gone}", expect=200).json()["status"] == "lost"

    page.goto(server.base_url + f"/admin/inventory/not-seen?days=0&branch={tag}")
    expect(page.locator("#not-seen-total")).to_be_visible()
    check_accessibility(page)
    page.goto(server.base_url + "/admin/processing")
    expect(page.get_by_role("heading", name="Steps for each kind")).to_be_visible()
    check_accessibility(page)
