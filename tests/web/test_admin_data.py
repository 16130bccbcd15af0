"""Import, export and reports in a real browser: a file with a bad row is refused whole with the
row's line, column and reason; the fixed file is checked in a dry run and then imported; an
export downloads; the reports page shows its charts; axe-core on every page."""

from __future__ import annotations

from browser_accounts import log_in_staff
from playwright.sync_api import expect

HEADER = "barcode,kind,model,serial_number,branch,replacement_cost\n"
GOOD_1 = "DATA-B1,hotspot,Data Hotspot,DATA-SN-1,MAIN,80\n"
GOOD_2 = "DATA-B2,laptop,Data Laptop,DATA-SN-2,MAIN,350\n"


def test_admin_imports_devices_after_a_refused_file_and_downloads_an_export(
    page, server, check_accessibility, review_screenshot, tmp_path
):
    bad = tmp_path / "devices-bad.csv"
    bad.write_text(HEADER + GOOD_1 + "DATA-B2,toaster,Data Laptop,DATA-SN-2,MAIN,350\n")
    good = tmp_path / "devices.csv"
    good.write_text(HEADER + GOOD_1 + GOOD_2)

    log_in_staff(page, server)
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Import").click()
    expect(page.get_by_role("heading", name="Import from CSV")).to_be_visible()
    dry_run = page.get_by_label("Dry run")
    expect(dry_run).to_be_checked()
    check_accessibility(page)
    review_screenshot(page, "admin-imports")

    # For real, with one bad row: refused whole, the row's line, column and reason listed.
    page.get_by_label("What the file holds").select_option("devices")
    page.get_by_label("CSV file").set_input_files(str(bad))
    dry_run.uncheck()
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_role("heading", name="Nothing was imported")).to_be_visible()
    rows = page.locator("table.import-errors tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.locator("td")).to_contain_text(["3", "kind", "must be one of hotspot, laptop"])
    check_accessibility(page)
    review_screenshot(page, "admin-import-refused")
    server.api("GET", "/api/devices/DATA-B1", expect=404)  # the good row was not imported

    # The fixed file: a dry run first, then "Import for real" without uploading again.
    page.get_by_label("CSV file").set_input_files(str(good))
    expect(page.get_by_label("Dry run")).not_to_be_checked()  # the choice is kept
    page.get_by_label("Dry run").check()
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("would create 2, update 0")
    expect(page.locator("table.import-changes tbody tr")).to_have_count(2)
    check_accessibility(page)
    server.api("GET", "/api/devices/DATA-B1", expect=404)
    page.get_by_role("button", name="Import for real").click()
    expect(page.get_by_role("heading", name="Imported")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("2 created, 0 updated")
    assert server.api("GET", "/api/devices/DATA-B2", expect=200).json()["model"] == "Data Laptop"

    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Export").click()
    check_accessibility(page)
    with page.expect_download() as info:
        page.get_by_role("link", name="devices.csv").click()
    download = info.value
    assert download.suggested_filename.startswith("devices-")
    download.save_as(tmp_path / "export.csv")
    text = (tmp_path / "export.csv").read_text(encoding="utf-8-sig")
    assert text.startswith("barcode,kind,model") and "DATA-B2,laptop,Data Laptop" in text


def test_admin_sees_each_report_with_its_chart_and_downloads_its_csv(
    page, server, check_accessibility, review_screenshot, tmp_path
):
    server.api(
        "POST",
        "/api/devices",
        expect=201,
        json={
            "barcode": "DATA-R1",
            "kind": "hotspot",
            "model": "Report Hotspot",
            "serial_number": "DATA-RSN-1",
            "branch": "MAIN",
        },  # fmt: skip
    )
    log_in_staff(page, server)
    page.goto(server.base_url + "/admin/reports")
    page.get_by_label("Kind", exact=True).select_option("hotspot")
    page.get_by_label("Branch", exact=True).select_option("MAIN")
    page.get_by_role("button", name="Show reports").click()
    charts = page.locator("svg[role=img]")
    expect(charts).to_have_count(5)
    utilization = page.locator("section#utilization")
    expect(utilization.locator("svg title").first).to_contain_text("Utilization")
    expect(utilization.locator("svg rect title")).to_contain_text(["hotspot MAIN, utilization"])
    expect(utilization.locator("table tbody tr").first).to_contain_text("hotspot")
    check_accessibility(page)
    review_screenshot(page, "admin-reports")
    with page.expect_download() as info:
        utilization.get_by_role("link", name="Download utilization.csv").click()
    info.value.save_as(tmp_path / "utilization.csv")
    lines = (tmp_path / "utilization.csv").read_text().splitlines()
    assert lines[0].startswith("kind,branch,devices") and lines[1].startswith("hotspot,MAIN,")
