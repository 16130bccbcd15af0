"""Kits in a real browser: an admin gives a device its kit on the device page; the desk lends it,
checks it in, ticks a part missing on the checklist and sees the charge, with the scan field
keeping the focus."""

from __future__ import annotations

from browser_accounts import DESK, log_in_staff
from playwright.sync_api import expect


def _seed(server, tag: str) -> tuple[str, str]:
    device, card = f"{tag}-H1", f"{tag}-P1"
    server.api(
        "POST",
        "/api/branches",
        expect=201,
        json={"code": tag, "name": f"Kit test {tag}", "timezone": "America/Chicago"},
    )
    server.api(
        "POST",
        "/api/devices",
        expect=201,
        json={"barcode": device, "kind": "hotspot", "model": "Kit hotspot",
              "serial_number": f"SN-{device}", "branch": tag},
    )  # fmt: skip
    server.api(
        "POST",
        "/api/patrons",
        expect=201,
        json={"card_number": card, "name": "Kim Kit", "branch": tag, "expires_on": "2099-01-01"},
    )
    return device, card


def _focused(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def _scan(page, code: str) -> None:
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def test_admin_builds_a_kit_and_the_desk_charges_a_missing_part_at_checkin(
    page, browser, server, check_accessibility, review_screenshot
):
    tag = f"KIT{server.kind[0].upper()}"
    device, card = _seed(server, tag)

    # The admin adds two parts on the device page (a cost that is not a number is refused).
    log_in_staff(page, server)
    page.goto(f"{server.base_url}/admin/devices/{device}")
    add = page.locator("form", has=page.get_by_role("button", name="Add part"))
    add.get_by_label("Name").fill("Charger")
    add.get_by_label("Replacement cost").fill("twenty")
    add.get_by_role("button", name="Add part").click()
    expect(page.locator("#f-replacement_cost-error")).to_have_text("Enter a number.")
    expect(page.get_by_label("Name")).to_have_value("Charger")
    for name, cost in (("Charger", "25"), ("USB cable", "8.50")):
        add = page.locator("form", has=page.get_by_role("button", name="Add part"))
        add.get_by_label("Name").fill(name)
        add.get_by_label("Replacement cost").fill(cost)
        add.get_by_role("button", name="Add part").click()
        expect(page.locator("table.kit")).to_contain_text(name)
    rows = page.locator("table.kit tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("8.50")
    expect(page.get_by_role("heading", name="Maintenance")).to_be_visible()
    check_accessibility(page)
    review_screenshot(page, "device-kit")

    # The desk lends it (the result lists the kit to hand over), then checks it in.
    desk = browser.new_page()
    try:
        log_in_staff(desk, server, DESK)
        _scan(desk, card)
        expect(desk.locator("#result")).to_contain_text("Patron: Kim Kit")
        _scan(desk, device)
        expect(desk.locator("#result")).to_contain_text("Give with it: Charger, USB cable.")
        desk.get_by_label("Check in", exact=True).check()
        _scan(desk, device)
        result = desk.locator("#result .result")
        expect(result).to_contain_text(f"Returned: {device}")
        checklist = result.locator("form.kit-form")
        expect(checklist).to_be_visible()
        assert _focused(desk) == "scan"  # the scanner can go on; the checklist waits
        check_accessibility(desk)
        checklist.get_by_role("group", name="Charger").get_by_label("Missing").check()
        review_screenshot(desk, "desk-kit-checklist")
        checklist.get_by_role("button", name="Record kit").click()
        expect(result).to_contain_text("Kit recorded")
        expect(desk.locator("#result")).to_contain_text("Charged 25.00 for Charger (missing).")
        expect(desk.locator("form.kit-form")).to_have_count(0)
        assert _focused(desk) == "scan"
        check_accessibility(desk)
        review_screenshot(desk, "desk-kit-recorded")
    finally:
        desk.close()

    # Back on the device page the part shows as missing, and can be set present again.
    page.reload()
    charger = page.locator("table.kit tbody tr", has_text="Charger")
    expect(charger).to_contain_text("missing")
    charger.get_by_role("button", name="Present again").click()
    expect(page.locator("table.kit tbody tr", has_text="Charger")).to_contain_text("present")
