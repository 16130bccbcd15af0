"""The admin console (part 1) in a real browser: the dashboard, adding, editing and changing the
status of a device, printing a label sheet, running a job, and who may open these pages."""

from __future__ import annotations

import re

from browser_accounts import DESK, log_in_staff
from playwright.sync_api import expect


def test_admin_adds_a_device_edits_it_and_sends_it_to_repair(
    page, server, check_accessibility, review_screenshot
):
    log_in_staff(page, server)
    page.goto(server.base_url + "/admin")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    check_accessibility(page)
    review_screenshot(page, "admin-dashboard")

    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Devices").click()
    expect(page.get_by_role("heading", name="Devices", exact=True)).to_be_visible()
    check_accessibility(page)
    review_screenshot(page, "admin-devices")

    page.get_by_role("link", name="Add a device").click()
    # Sent empty first: every required field says what is missing, with the page still usable.
    page.get_by_role("button", name="Add device").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct the fields")
    expect(page.locator("#f-model-error")).to_have_text("This field is required.")
    check_accessibility(page)
    page.get_by_label("Barcode").fill("ADMC-DEV-1")
    page.get_by_label("Kind").select_option("laptop")
    page.get_by_label("Model").fill("Console Laptop 14")
    page.get_by_label("Serial number").fill("ADMC-SN-1")
    page.get_by_label("Branch").select_option("MAIN")
    page.get_by_label("Replacement cost").fill("twelve")
    page.get_by_role("button", name="Add device").click()
    expect(page.locator("#f-replacement_cost-error")).to_have_text("Enter a number.")
    expect(page.get_by_label("Model")).to_have_value("Console Laptop 14")
    page.get_by_label("Replacement cost").fill("349.99")
    page.get_by_role("button", name="Add device").click()

    page.wait_for_url(re.compile(r".*/admin/devices/ADMC-DEV-1$"))
    expect(page.get_by_role("status")).to_have_text("Device ADMC-DEV-1 added.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("available")
    expect(page.locator("table.events")).to_contain_text("device created")
    check_accessibility(page)
    review_screenshot(page, "admin-device")

    page.get_by_role("link", name="Edit device").click()
    expect(page.get_by_label("Model")).to_have_value("Console Laptop 14")
    check_accessibility(page)
    page.get_by_label("Model").fill("Console Laptop 15")
    page.get_by_label("Notes").fill("Keyboard replaced in 2026.")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_have_text("Device ADMC-DEV-1 saved.")
    expect(page.locator("dl.details")).to_contain_text("Console Laptop 15")
    expect(page.locator("table.events")).to_contain_text("model: Console Laptop 15")

    page.get_by_role("button", name="Send to repair").click()
    expect(page.get_by_role("status")).to_have_text("Device ADMC-DEV-1 is in repair.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("in repair")
    expect(page.get_by_role("button", name="Back to available")).to_be_visible()

    # The list finds it by a search on its serial number, with its new status.
    page.goto(server.base_url + "/admin/devices")
    page.get_by_label("Search barcode, serial or model").fill("admc-sn-1")
    page.get_by_role("button", name="Show devices").click()
    expect(page.locator("#device-count")).to_have_text("1 device matches.")
    expect(page.locator("table.devices tbody tr")).to_contain_text("in repair")


def test_admin_prints_a_label_sheet_starting_on_a_part_used_sheet(
    page, server, check_accessibility, review_screenshot, tmp_path
):
    for i in (1, 2, 3):
        server.api(
            "POST",
            "/api/devices",
            expect=201,
            json={
                "barcode": f"ADMC-LBL-{i}",
                "kind": "hotspot",
                "model": "Label Hotspot",
                "serial_number": f"ADMC-LSN-{i}",
                "branch": "MAIN",
            },  # fmt: skip
        )
    log_in_staff(page, server)
    page.goto(server.base_url + "/admin/labels")
    check_accessibility(page)
    for i in (1, 2, 3):
        page.get_by_label(f"ADMC-LBL-{i}", exact=True).check()
    page.get_by_label("Template").select_option("avery-5160")
    page.get_by_label("Start at position").fill("29")  # two labels left on this sheet
    review_screenshot(page, "admin-labels")
    with page.expect_download() as info:
        page.get_by_role("button", name="Get the labels").click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    path = tmp_path / "labels.pdf"
    download.save_as(path)
    content = path.read_bytes()
    assert content.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", content)) == 2  # positions 29, 30, then page 2

    # Printed: they have left the "needs a label" list.
    page.goto(server.base_url + "/admin/labels")
    expect(page.get_by_label("ADMC-LBL-1", exact=True)).to_have_count(0)
    # A start position off the sheet is explained on its field, not a failed download.
    page.get_by_label("Template").select_option("avery-5160")
    page.get_by_label("Start at position").fill("31")
    page.get_by_role("radio", name=re.compile("Every device that matches")).check()
    page.get_by_label("Label", exact=True).select_option("")
    page.get_by_role("button", name="Get the labels").click()
    expect(page.locator("#f-start_at-error")).to_contain_text("31 is off the sheet")
    check_accessibility(page)


def test_admin_runs_a_job_now_and_sees_the_run_listed(
    page, server, check_accessibility, review_screenshot
):
    log_in_staff(page, server)
    page.goto(server.base_url + "/admin/jobs")
    check_accessibility(page)
    page.get_by_role("link", name="Run expire holds now (asks first)").click()
    expect(page.get_by_role("alert")).to_contain_text("This job changes data.")
    check_accessibility(page)
    page.get_by_role("button", name="Yes, run expire holds now").click()
    expect(page.get_by_role("status").first).to_contain_text("Job expire_holds ran (run ")
    first = page.locator("table.runs tbody tr").first
    expect(first).to_contain_text("expire_holds")
    expect(first).to_contain_text("web")
    expect(first).to_contain_text("ok")
    check_accessibility(page)
    review_screenshot(page, "admin-jobs")


def test_desk_staff_get_the_403_page_and_anonymous_users_the_login(page, server):
    for path in ("/admin/devices", "/admin/labels", "/admin/jobs"):
        page.goto(server.base_url + path)
        assert re.search(rf"/login\?next={path}$", page.url)
    log_in_staff(page, server, DESK)
    for path in ("/admin", "/admin/devices/new", "/admin/labels", "/admin/jobs"):
        response = page.goto(server.base_url + path)
        assert response.status == 403
        expect(page.get_by_role("alert")).to_have_text("This page is for administrators.")
