"""The circulation desk in a real browser, driven the way a barcode scanner drives it: keys typed
into the focused scan field, each scan ended by Enter (or Tab), nothing clicked first."""

from __future__ import annotations

import re

from browser_accounts import DESK, log_in_staff
from playwright.sync_api import expect


def _seed(server, branch: str, devices: dict[str, str], patrons: dict[str, str]) -> None:
    """A branch of this file's own (so no other test's holds or loans get in the way), its
    devices {barcode: kind} and patrons {card: name}."""
    server.api(
        "POST",
        "/api/branches",
        expect=201,
        json={"code": branch, "name": f"Desk test {branch}", "timezone": "America/Chicago"},
    )
    for barcode, kind in devices.items():
        server.api(
            "POST",
            "/api/devices",
            expect=201,
            json={
                "barcode": barcode,
                "kind": kind,
                "model": f"Model {kind}",
                "serial_number": f"SN-{barcode}",
                "branch": branch,
            },
        )
    for card, name in patrons.items():
        server.api(
            "POST",
            "/api/patrons",
            expect=201,
            json={"card_number": card, "name": name, "branch": branch, "expires_on": "2099-01-01"},
        )


def _scan(page, code: str, end: str = "Enter") -> None:
    """What a scanner in keyboard mode does: type the code, then Enter (or Tab)."""
    page.keyboard.type(code)
    page.keyboard.press(end)


def _focused(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def _log(page):
    return page.locator("#scan-log > li")


def test_desk_checks_out_by_scanner_refuses_plainly_and_checks_in_to_the_hold_shelf(
    page, server, check_accessibility, review_screenshot
):
    tag = f"DSK1{server.kind[0].upper()}"
    alma, bea, cal = f"{tag}-A", f"{tag}-B", f"{tag}-C"
    hotspot, laptop, taken = f"{tag}-H1", f"{tag}-L1", f"{tag}-H2"
    _seed(
        server,
        tag,
        {hotspot: "hotspot", laptop: "laptop", taken: "hotspot"},
        {alma: "Alma Desk", bea: "Bea Waiting", cal: "Cal Other"},
    )
    server.api("POST", "/api/checkout", expect=201, json={"patron": cal, "device": taken})

    log_in_staff(page, server, DESK)
    assert page.url.endswith("/desk")
    assert _focused(page) == "scan"  # ready for the scanner at once
    check_accessibility(page)

    # Checkout: the card (ended by Tab, as some scanners do), then three devices, one refused.
    _scan(page, alma, end="Tab")
    expect(page.locator("#result")).to_contain_text("Patron: Alma Desk")
    expect(page.locator("#patron-panel h2")).to_have_text("Alma Desk")
    assert _focused(page) == "scan"
    for code in (hotspot, laptop, taken):
        _scan(page, code)
    expect(_log(page)).to_have_count(4)
    results = _log(page).all_inner_texts()[::-1]  # the log is newest first
    assert "Patron: Alma Desk" in results[0]
    assert f"Checked out: {hotspot} (hotspot) to Alma Desk" in results[1]
    assert re.search(r"Due \w+day, \w+ \d+, \d+:\d\d [AP]M", results[1])
    assert f"Checked out: {laptop} (laptop) to Alma Desk" in results[2]
    assert f"Not checked out: {taken} to Alma Desk" in results[3]
    assert "still on loan" in results[3] and "check it in first" in results[3]
    refused = page.locator("#result .result")
    expect(refused).to_have_attribute("data-outcome", "bad")
    expect(refused).to_contain_text("✗")  # not colour alone: an icon and the words
    panel = page.locator("#patron-panel")
    expect(panel.locator("ul.loans > li")).to_have_count(2)
    expect(panel).to_contain_text(hotspot)
    expect(panel).to_contain_text(laptop)
    assert _focused(page) == "scan"
    check_accessibility(page)
    review_screenshot(page, "desk-checkout")

    # Renew from the patron panel: the result is shown like a scan, focus returns to the field.
    panel.get_by_role("button", name=f"Renew {hotspot}").click()
    expect(page.locator("#result")).to_contain_text(f"Renewed: {hotspot} for Alma Desk")
    assert _focused(page) == "scan"

    # The receipt for today's checkouts opens in a new tab, printable, with a PDF link.
    with page.context.expect_page() as opened:
        panel.get_by_role("link", name=re.compile("Print receipt")).click()
    receipt = opened.value
    receipt.wait_for_load_state()
    expect(receipt.locator("main")).to_contain_text(hotspot)
    expect(receipt.locator("main")).to_contain_text(laptop)
    expect(receipt.get_by_role("link", name=re.compile("PDF"))).to_have_count(2)
    check_accessibility(receipt)
    review_screenshot(receipt, "desk-receipt")
    receipt.close()

    # Another patron waits for a laptop at this branch: the laptop goes to the hold shelf.
    server.api(
        "POST", "/api/holds", expect=201, json={"patron": bea, "kind": "laptop", "branch": tag}
    )
    page.get_by_label("Check in", exact=True).check()
    assert _focused(page) == "scan"  # back to the field after using the mode switch
    expect(page.locator("#scan-label")).to_have_text("Scan a device to check in")
    for code in (hotspot, laptop, taken):
        _scan(page, code)
    expect(_log(page)).to_have_count(8)
    results = _log(page).all_inner_texts()[:3][::-1]
    assert f"Returned: {hotspot} (hotspot) from Alma Desk" in results[0]
    assert "Put it back on the shelf" in results[0]
    assert f"Returned: {laptop} (laptop) from Alma Desk" in results[1]
    assert "Put on hold shelf for Bea Waiting" in results[1]
    assert f"Returned: {taken} (hotspot) from Cal Other" in results[2]
    _scan(page, taken)
    expect(page.locator("#result")).to_contain_text(f"{taken} was not on loan")
    # A click on the page elsewhere gives the focus back to the scan field.
    page.locator("h1").click()
    assert _focused(page) == "scan"
    check_accessibility(page)
    review_screenshot(page, "desk-checkin")


def test_a_burst_of_ten_scans_typed_without_pauses_all_land_in_order(
    page, server, check_accessibility
):
    tag = f"DSK2{server.kind[0].upper()}"
    devices = [f"{tag}-T{i:02d}" for i in range(10)]
    patrons = {f"{tag}-P{i:02d}": f"Reader {i}" for i in range(0, 10, 2)}
    _seed(server, tag, dict.fromkeys(devices, "tablet"), patrons)
    for i, patron in zip(range(0, 10, 2), patrons, strict=True):  # the even ones are on loan
        server.api(
            "POST", "/api/checkout", expect=201, json={"patron": patron, "device": devices[i]}
        )

    log_in_staff(page, server, DESK)
    page.goto(server.base_url + "/desk?mode=checkin")
    assert _focused(page) == "scan"
    for device in devices:  # back to back, as fast as the keyboard goes
        page.keyboard.type(device + "\n")
    expect(_log(page)).to_have_count(10)
    results = _log(page).all_inner_texts()[::-1]
    for i, (text, device) in enumerate(zip(results, devices, strict=True)):
        if i % 2 == 0:
            assert f"Returned: {device} (tablet) from Reader {i}" in text
        else:
            assert f"{device} was not on loan" in text
    # An empty scan and a very long one answer in plain words.
    page.keyboard.press("Enter")
    expect(page.locator("#result")).to_contain_text("Nothing was scanned")
    page.evaluate("document.getElementById('scan').value = 'x'.repeat(10000)")
    page.keyboard.press("Enter")
    expect(page.locator("#result")).to_contain_text("too long to be a barcode")
    assert _focused(page) == "scan"
    check_accessibility(page)
