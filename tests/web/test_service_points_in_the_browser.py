"""Service points in a real browser: an admin adds a bookmobile, gives it a stop every other
Tuesday, sees its coming visits and cancels one; the pages pass axe-core."""

from __future__ import annotations

import re

from browser_accounts import log_in_staff
from playwright.sync_api import expect


def test_admin_adds_a_bookmobile_with_a_stop_and_cancels_one_visit(
    page, server, check_accessibility
):
    code = f"BM-{server.kind[:2].upper()}"
    log_in_staff(page, server)
    page.goto(server.base_url + "/admin")
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Service points").click()
    expect(page.get_by_role("heading", name="Service points", exact=True)).to_be_visible()
    check_accessibility(page)

    page.get_by_role("button", name="Add service point").click()
    expect(page.locator("#f-code-error")).to_have_text("Enter a short code, like BM1.")
    page.get_by_label("Code").fill(code)
    page.get_by_label("Name", exact=True).fill("Neighborhood bookmobile")
    page.get_by_label("Type").select_option("bookmobile")
    page.get_by_label("Parent branch").select_option("MAIN")
    page.get_by_role("button", name="Add service point").click()
    page.wait_for_url(re.compile(rf".*/admin/service-points/{code}$"))
    expect(page.get_by_role("status")).to_have_text(f"Service point {code} added.")
    check_accessibility(page)

    page.get_by_label("Place").fill("Cabrini Homes, community room")
    page.get_by_label("Day of the week").select_option("tue")
    page.get_by_label("Starts", exact=True).fill("10:00")
    page.get_by_label("Ends", exact=True).fill("12:30")
    page.get_by_label("Every how many weeks").fill("2")
    page.get_by_label("Season starts").fill("2026-01-06")
    page.get_by_role("button", name="Add stop").click()
    expect(page.get_by_role("status")).to_have_text("Stop at Cabrini Homes, community room added.")
    visits = page.locator("#visits tbody tr")
    expect(visits).to_have_count(4)  # every other Tuesday in 8 weeks
    check_accessibility(page)

    visits.first.get_by_label("Reason").fill("Van in repair")
    visits.first.get_by_role("button", name=re.compile("Cancel the visit")).click()
    expect(page.get_by_role("status")).to_contain_text("is cancelled")
    expect(page.locator("#visits tbody tr").first).to_contain_text("Cancelled")
    check_accessibility(page)
