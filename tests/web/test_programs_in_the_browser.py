"""Programs in a real browser: an admin adds a partner's program and enrols a patron through the
forms; the partner's staff open the desk, choose the program and check a hotspot out by
scanner, and a patron who is not enrolled is refused in plain words; the pages pass axe-core."""

from __future__ import annotations

import re

from browser_accounts import log_in_staff
from playwright.sync_api import expect

PARTNER_PASSWORD = "partner-password-123"


def _seed(server, tag: str) -> dict[str, str]:
    """A branch, two hotspots, two patrons and a partner organisation of this test's own."""
    server.api("POST", "/api/branches", expect=201,
               json={"code": tag, "name": f"Program test {tag}", "timezone": "America/Chicago"})  # fmt: skip
    names = {"enrolled": f"{tag}-A", "other": f"{tag}-B", "h1": f"{tag}-H1", "h2": f"{tag}-H2",
             "partner": f"PT{tag}", "program": f"PG-{tag}", "staff": f"staff-{tag.lower()}"}  # fmt: skip
    for device in (names["h1"], names["h2"]):
        server.api("POST", "/api/devices", expect=201,
                   json={"barcode": device, "kind": "hotspot", "model": "M",
                         "serial_number": f"SN-{device}", "branch": tag})  # fmt: skip
    for card, name in ((names["enrolled"], "Ana Program"), (names["other"], "Ben Outside")):
        server.api("POST", "/api/patrons", expect=201,
                   json={"card_number": card, "name": name, "branch": tag,
                         "expires_on": "2099-01-01"})  # fmt: skip
    server.api("POST", "/api/partners", expect=201,
               json={"code": names["partner"], "name": "Housing Authority"})  # fmt: skip
    return names


def _scan(page, code: str) -> None:
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def test_admin_adds_a_program_and_partner_staff_lend_under_it_at_the_desk(
    page, browser, server, check_accessibility, review_screenshot
):
    tag = f"PRG{server.kind[0].upper()}"
    names = _seed(server, tag)
    code = names["program"]

    log_in_staff(page, server)
    page.goto(server.base_url + "/admin")
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Programs").click()
    expect(page.get_by_role("heading", name="Programs", exact=True)).to_be_visible()
    check_accessibility(page)

    page.get_by_role("button", name="Add program").click()
    expect(page.locator("#f-code-error")).to_have_text("Enter a short code, like CH-HA.")
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_label("Name", exact=True).fill("Homes online")
    page.get_by_label("First day").fill("2026-01-01")
    page.get_by_label("Hotspot").check()
    page.get_by_label(f"Housing Authority ({names['partner']})").check()
    page.get_by_role("button", name="Add program").click()
    page.wait_for_url(re.compile(rf".*/admin/programs/{code}$"))
    expect(page.get_by_role("status")).to_have_text(f"Program {code} added.")
    check_accessibility(page)

    page.get_by_label("Library card", exact=True).fill(names["enrolled"])
    page.get_by_label("Eligibility checked by").select_option("housing_lease")
    page.get_by_role("button", name="Enrol", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"is enrolled in {code}: ready to borrow")
    expect(page.locator("#enrolments tbody tr")).to_have_count(1)
    expect(page.locator("#enrolments")).to_contain_text("Ready to borrow")
    check_accessibility(page)
    review_screenshot(page, "program")

    server.api("POST", "/api/staff", expect=201,
               json={"username": names["staff"], "role": "partner", "password": PARTNER_PASSWORD,
                     "partner": names["partner"]})  # fmt: skip
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    try:
        desk = context.new_page()
        log_in_staff(desk, server, (names["staff"], PARTNER_PASSWORD))
        expect(desk.get_by_role("link", name=code)).to_be_visible()  # their program, listed
        desk.get_by_role("link", name="Desk", exact=True).click()
        desk.wait_for_url(re.compile(r".*/desk$"))
        desk.get_by_label("Program (optional)").select_option(code)
        assert desk.evaluate("document.activeElement.id") == "scan"  # back to the scanner
        check_accessibility(desk)

        _scan(desk, names["enrolled"])
        expect(desk.locator("#result")).to_contain_text("Patron: Ana Program")
        _scan(desk, names["h1"])
        result = desk.locator("#result .result")
        expect(result).to_have_attribute("data-action", "checkout")
        expect(result).to_contain_text(f"Checked out: {names['h1']} (hotspot) to Ana Program")
        expect(result).to_contain_text(f"Lent under program {code}.")

        _scan(desk, names["other"])
        expect(desk.locator("#result")).to_contain_text("Patron: Ben Outside")
        _scan(desk, names["h2"])
        expect(result).to_have_attribute("data-outcome", "bad")
        expect(result).to_contain_text(f"Not checked out: {names['h2']} to Ben Outside")
        expect(result).to_contain_text(f"The patron is not enrolled in program {code}.")
        expect(result).to_contain_text("Enrol them on the program's page")
        check_accessibility(desk)
        review_screenshot(desk, "desk-program")
    finally:
        context.close()

    loans = server.api("GET", f"/api/loans?patron={names['enrolled']}", expect=200).json()
    assert [(loan["device"], loan["program"]) for loan in loans["items"]] == [(names["h1"], code)]
