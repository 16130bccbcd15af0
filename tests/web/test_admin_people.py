"""Admin console in a real browser: patrons (add, block, unblock, a new PIN), the loan policy
editor, branches and closed dates, staff accounts and the carrier tasks and call list. Data of
this file is named PPL-... so it never meets another test file's on the shared server."""

from __future__ import annotations

import re
from datetime import date, timedelta

from browser_accounts import ADMIN, log_in_resident, log_in_staff
from playwright.sync_api import expect

BRANCH = "PPL"


def _branch(server) -> None:
    """This file's branch (made once per server)."""
    codes = [b["code"] for b in server.api("GET", "/api/branches?limit=500").json()["items"]]
    if BRANCH not in codes:
        server.api(
            "POST",
            "/api/branches",
            expect=201,
            json={"code": BRANCH, "name": "People test branch", "timezone": "America/Chicago"},
        )


def test_admin_edits_a_loan_policy_and_the_api_returns_it(
    page, server, check_accessibility, review_screenshot
):
    before = next(
        p
        for p in server.api("GET", "/api/policies", expect=200).json()["items"]
        if p["kind"] == "tablet"
    )
    try:
        log_in_staff(page, server, ADMIN)
        page.goto(server.base_url + "/admin/policies")
        check_accessibility(page)
        review_screenshot(page, "admin-policies")

        tablet = page.locator("#policy-tablet")
        days = tablet.get_by_label("Loan days")
        expect(days).to_have_value(str(before["loan_days"]))
        days.fill("abc")
        tablet.get_by_role("button", name="Save tablet policy").click()
        error = page.locator("#p-tablet-loan_days-error")
        expect(error).to_contain_text("Enter a whole number")
        expect(page.locator("#p-tablet-loan_days")).to_have_attribute("aria-invalid", "true")
        check_accessibility(page)

        new_days = before["loan_days"] + 3
        page.locator("#p-tablet-loan_days").fill(str(new_days))
        page.locator("#policy-tablet").get_by_role("button", name="Save tablet policy").click()
        expect(page.get_by_role("status")).to_contain_text("The tablet policy is saved.")
        expect(page.locator("#p-tablet-loan_days")).to_have_value(str(new_days))
        after = next(
            p
            for p in server.api("GET", "/api/policies", expect=200).json()["items"]
            if p["kind"] == "tablet"
        )
        assert after == {**before, "loan_days": new_days}
    finally:  # the server is shared: other files' tablets keep their usual loan length
        server.api(
            "PUT",
            "/api/policies/tablet",
            expect=200,
            json={k: v for k, v in before.items() if k != "kind"},
        )


def test_admin_adds_blocks_unblocks_a_patron_and_sets_a_pin_the_resident_logs_in_with(
    page, phone, server, check_accessibility, review_screenshot
):
    _branch(server)
    card = "PPL-0001"
    log_in_staff(page, server, ADMIN)
    page.goto(server.base_url + "/admin/patrons")
    page.get_by_role("link", name="Add a patron").click()
    check_accessibility(page)
    page.get_by_label("Card number").fill(card)
    page.get_by_label("Name").fill("Petra People")
    page.get_by_label("Email (optional)").fill("petra@example.org")
    page.get_by_label("Home branch").select_option(BRANCH)
    page.get_by_label("Card expires on (optional)").fill("2099-01-31")
    page.get_by_role("button", name="Add patron").click()
    expect(page).to_have_url(re.compile(rf"/admin/patrons/{card}$"))
    expect(page.get_by_role("status")).to_contain_text("Patron added.")

    # A loan to show: its due date in the branch's zone.
    server.api(
        "POST",
        "/api/devices",
        expect=201,
        json={
            "barcode": "PPL-HOT-1",
            "kind": "hotspot",
            "model": "Hotspot",
            "serial_number": "SN-PPL-HOT-1",
            "branch": BRANCH,
        },
    )
    loan = server.api(
        "POST", "/api/checkout", expect=201, json={"patron": card, "device": "PPL-HOT-1"}
    ).json()["loan"]
    due = date.fromisoformat(loan["due_at"][:10])

    page.goto(server.base_url + "/admin/patrons?q=petra")
    check_accessibility(page)
    review_screenshot(page, "admin-patrons")
    page.get_by_role("link", name=card).click()
    loans = page.locator("#h-loans + div table")
    expect(loans).to_contain_text("PPL-HOT-1")
    expect(loans).to_contain_text(f"{due.day} {due:%b %Y}, 23:59 C")  # CST/CDT
    check_accessibility(page)
    review_screenshot(page, "admin-patron")

    page.get_by_label("Reason for the block").fill("Two chargers not returned")
    page.get_by_role("button", name="Block patron").click()
    expect(page.locator("#block-reason")).to_have_text("Two chargers not returned")
    got = server.api("GET", f"/api/patrons/{card}", expect=200).json()
    assert got["blocked"] is True and got["block_reason"] == "Two chargers not returned"
    check_accessibility(page)

    page.get_by_role("button", name="Unblock patron").click()
    expect(page.get_by_role("status")).to_contain_text("Patron unblocked.")
    assert server.api("GET", f"/api/patrons/{card}", expect=200).json()["blocked"] is False

    page.get_by_label("New PIN", exact=True).fill("8642")
    page.get_by_label("New PIN again").fill("8642")
    page.get_by_role("button", name="Set PIN").click()
    expect(page.get_by_role("status")).to_contain_text("New PIN set.")
    log_in_resident(phone, server, card, "8642")
    expect(phone.locator("main")).to_contain_text("PPL-HOT-1")


def test_admin_adds_a_branch_and_a_closed_date_then_removes_it(
    page, server, check_accessibility, review_screenshot
):
    log_in_staff(page, server, ADMIN)
    page.goto(server.base_url + "/admin/branches")
    check_accessibility(page)
    review_screenshot(page, "admin-branches")
    page.get_by_label("Code").fill("PPL-B")
    page.get_by_label("Name").fill("People Annex")
    page.get_by_label("Time zone").fill("America/Denver")
    page.get_by_role("button", name="Add branch").click()
    expect(page).to_have_url(re.compile(r"/admin/branches/PPL-B$"))

    closed = (date.today() + timedelta(days=200)).isoformat()
    page.get_by_label("Date", exact=True).fill(closed)
    page.get_by_label("Reason (optional)").fill("Inventory day")
    page.get_by_role("button", name="Add closed date").click()
    expect(page.locator("#closures")).to_contain_text(closed)
    expect(page.locator("#closures")).to_contain_text("Inventory day")
    check_accessibility(page)
    review_screenshot(page, "admin-branch")
    branch = next(
        b
        for b in server.api("GET", "/api/branches?limit=500", expect=200).json()["items"]
        if b["code"] == "PPL-B"
    )
    assert branch["timezone"] == "America/Denver"
    assert branch["closures"] == [{"date": closed, "reason": "Inventory day"}]

    page.get_by_role("button", name=f"Remove closed date {closed}").click()
    expect(page.get_by_role("status")).to_contain_text("open day again")
    expect(page.locator("main")).to_contain_text("No closed dates.")


def test_admin_adds_a_staff_account_that_can_log_in(
    page, browser, server, check_accessibility, review_screenshot
):
    log_in_staff(page, server, ADMIN)
    page.goto(server.base_url + "/admin/staff")
    check_accessibility(page)
    page.get_by_label("Username").fill("ppl-desk")
    page.get_by_label("Role").select_option("desk")
    page.get_by_label("Password", exact=True).fill("people-desk-pass")
    page.get_by_role("button", name="Add account").click()
    expect(page.get_by_role("status")).to_contain_text("Account ppl-desk added")
    expect(page.locator("#accounts")).to_contain_text("ppl-desk")
    check_accessibility(page)
    review_screenshot(page, "admin-staff")

    other = browser.new_context()
    try:
        newcomer = other.new_page()
        log_in_staff(newcomer, server, ("ppl-desk", "people-desk-pass"))
        expect(newcomer).to_have_url(re.compile(r"/desk"))
    finally:
        other.close()


def test_carrier_tasks_and_call_list_page_is_in_the_menu(
    page, server, check_accessibility, review_screenshot
):
    log_in_staff(page, server, ADMIN)
    page.goto(server.base_url + "/admin/patrons")
    page.get_by_role("link", name="Carrier tasks & calls").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Carrier tasks and calls")
    for heading in ("Carrier tasks", "Failing lines", "Patrons to call"):
        expect(page.get_by_role("heading", level=2, name=re.compile(heading))).to_be_visible()
    check_accessibility(page)
    review_screenshot(page, "admin-tasks")
