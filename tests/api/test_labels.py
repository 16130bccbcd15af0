"""Labels and receipts through HTTP: the reprint queue, sheets and rolls that scan, single
labels, refusals that change nothing, Wi-Fi fields on devices, and checkout receipts."""

from __future__ import annotations

import subprocess

from barcode_reader import pdf_pages, read_image, read_png, svg_as_pdf

HOTSPOT_WIFI = {"wifi_name": "SPL-HOTSPOT-1", "wifi_password": "correct-horse-42"}


async def flags(desk) -> dict[str, bool]:
    r = await desk.client.get("/api/devices", params={"limit": 500}, headers=desk.desk)
    assert r.status_code == 200, r.text
    return {d["barcode"]: d["needs_label"] for d in r.json()["items"]}


async def print_labels(desk, **body):
    return await desk.client.post("/api/labels", json=body, headers=desk.admin)


async def test_printing_the_reprint_queue_gives_a_sheet_that_scans_and_clears_the_flags(desk):
    assert set((await flags(desk)).values()) == {True}  # new devices wait for a label

    r = await print_labels(desk, needs_label=True, start_at=2)

    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].startswith('attachment; filename="labels-avery-5160-')
    (page,) = pdf_pages(r.content, 150)
    reads = read_image(page, 150)
    assert sorted(x.text for x in reads) == ["DEV001", "DEV002", "DEV003", "DEV004", "DEV005"]
    first = next(x for x in reads if x.text == "DEV001")
    assert 4.76 + 69.85 < first.x_mm < 4.76 + 69.85 + 66.7 and 12.7 < first.y_mm < 38.1
    assert set((await flags(desk)).values()) == {False}
    printed = await desk.events(action="label_printed")
    assert sorted(e["subject"] for e in printed) == ["DEV001", "DEV002", "DEV003", "DEV004",
                                                    "DEV005"]  # fmt: skip
    assert printed[0]["details"]["template"] == "avery-5160"
    again = await print_labels(desk, needs_label=True)
    assert desk.problem(again, 422) == "no_devices_selected"


async def test_a_new_or_re_barcoded_device_goes_back_on_the_reprint_queue(desk):
    assert (await print_labels(desk, all=True)).status_code == 200
    await desk.add_device("DEV100", kind="tablet")

    r = await desk.client.patch(
        "/api/devices/DEV002", json={"barcode": " 20000000000048\r\n"}, headers=desk.admin
    )

    assert r.status_code == 200, r.text
    assert r.json()["barcode"] == "20000000000048" and r.json()["needs_label"] is True
    assert await flags(desk) == {"DEV001": False, "DEV003": False, "DEV004": False,
                                 "DEV005": False, "DEV100": True,
                                 "20000000000048": True}  # fmt: skip
    gone = await desk.client.get("/api/devices/DEV002", headers=desk.desk)
    assert desk.problem(gone, 404) == "device_not_found"
    taken = await desk.client.patch(
        "/api/devices/DEV003", json={"barcode": "DEV001"}, headers=desk.admin
    )
    assert desk.problem(taken, 409) == "duplicate_barcode"
    (event,) = await desk.events(subject="20000000000048", action="device_updated")
    assert event["details"]["old_barcode"] == "DEV002"


async def test_filters_choose_by_kind_branch_and_date_added(desk):
    await desk.travel(days=1)
    await desk.add_device("NEW1", kind="laptop", branch="EAST")
    await desk.add_device("NEW2", kind="hotspot", branch="EAST")

    today = desk.clock.now.date().isoformat()
    r = await print_labels(
        desk, kind="laptop", branch="EAST", added_since=today, template="dymo-30334"
    )

    assert r.status_code == 200, r.text
    pages = pdf_pages(r.content, 150)
    assert [[x.text for x in read_image(p, 150)] for p in pages] == [["NEW1"]]
    assert (await flags(desk))["NEW2"] is True
    r = await print_labels(desk, kind="hotspot", needs_label=True, template="zebra-2x1")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    assert r.headers["content-disposition"].endswith('.zpl"')
    zpl = r.text
    assert zpl.count("^XA") == 4 and "^PW406" in zpl and "^FDNEW2^FS" in zpl


async def test_refused_print_requests_write_nothing_and_leave_the_queue_as_it_was(desk):
    await desk.add_device("dev-lower", kind="laptop")
    cases = [
        ({"template": "avery-9999", "all": True}, 422, "unknown_template"),
        ({"barcodes": ["DEV001", "NOPE"]}, 404, "device_not_found"),
        ({"kind": "tablet"}, 422, "no_devices_selected"),
        ({}, 422, "no_devices_selected"),
        ({"all": True, "start_at": 31}, 422, "start_position_off_sheet"),
        ({"barcodes": ["dev-lower"], "symbology": "code39"}, 422, "barcode_not_encodable"),
        ({"all": True, "template": "avery-5160", "format": "zpl"}, 422, "format_not_supported"),
        ({"all": True, "added_since": "yesterday"}, 422, "validation_error"),
        ({"all": True, "start_at": 0}, 422, "validation_error"),
    ]  # fmt: skip
    for body, status, code in cases:
        r = await print_labels(desk, **body)
        assert desk.problem(r, status) == code, body

    desk_try = await desk.client.post("/api/labels", json={"all": True}, headers=desk.desk)
    assert desk.problem(desk_try, 403) == "forbidden"
    assert set((await flags(desk)).values()) == {True}
    assert await desk.events(action="label_printed") == []


async def test_a_batch_prints_the_devices_that_can_be_labelled_and_lists_the_others(desk):
    await desk.add_device("dev-lower", kind="laptop")

    r = await print_labels(desk, all=True, symbology="code39")

    assert r.status_code == 200, r.text
    assert r.headers["x-labels-refused-count"] == "1"
    assert r.headers["x-labels-refused"] == "dev-lower"
    (page,) = pdf_pages(r.content, 150)
    assert sorted(x.text for x in read_image(page, 150)) == [
        "DEV001", "DEV002", "DEV003", "DEV004", "DEV005"
    ]  # fmt: skip
    still = {code for code, waiting in (await flags(desk)).items() if waiting}
    assert still == {"dev-lower"}  # the refused device stays on the reprint queue
    assert len(await desk.events(action="label_printed")) == 5
    clean = await print_labels(desk, barcodes=["DEV001"])
    assert clean.headers["x-labels-refused-count"] == "0"
    assert "x-labels-refused" not in clean.headers


async def test_a_single_label_is_an_svg_or_png_that_scans_and_changes_nothing(desk):
    r = await desk.client.patch("/api/devices/DEV001", json=HOTSPOT_WIFI, headers=desk.admin)
    assert r.status_code == 200 and r.json()["wifi_name"] == "SPL-HOTSPOT-1"

    svg = await desk.client.get("/api/devices/DEV001/label.svg", headers=desk.desk)
    png = await desk.client.get(
        "/api/devices/DEV001/label.png",
        params={"template": "zebra-2x1", "symbology": "code39"},
        headers=desk.desk,
    )

    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert "Wi-Fi: SPL-HOTSPOT-1" in svg.text and "Password: correct-horse-42" in svg.text
    (page,) = pdf_pages(svg_as_pdf(svg.content, 66.675, 25.4), 300)
    assert [x.text for x in read_image(page, 300)] == ["DEV001"]
    assert png.status_code == 200 and png.headers["content-type"] == "image/png", png.text
    reads, image = read_png(png.content)
    assert [(x.text, x.format) for x in reads] == [("DEV001", "Code39")]
    assert image.size == (406, 203)
    assert (await flags(desk))["DEV001"] is True  # a preview is not a print
    events = await desk.events(subject="DEV001", action="device_updated")
    assert "correct-horse-42" not in str(events)  # the password stays out of the audit trail


async def test_single_label_refusals_are_problems(desk):
    missing = await desk.client.get("/api/devices/NOPE/label.svg", headers=desk.desk)
    unknown = await desk.client.get(
        "/api/devices/DEV001/label.png", params={"template": "nope"}, headers=desk.desk
    )
    symbology = await desk.client.get(
        "/api/devices/DEV001/label.svg", params={"symbology": "qr"}, headers=desk.desk
    )
    anonymous = await desk.client.get("/api/devices/DEV001/label.svg")

    assert desk.problem(missing, 404) == "device_not_found"
    assert desk.problem(unknown, 422) == "unknown_template"
    assert desk.problem(symbology, 422) == "validation_error"
    assert desk.problem(anonymous, 401) == "unauthenticated"


async def test_a_device_keeps_its_wifi_name_and_password_from_creation(desk):
    r = await desk.client.post(
        "/api/devices",
        json={"barcode": "HS9", "kind": "hotspot", "model": "M6", "serial_number": "S9",
              "branch": "MAIN", **HOTSPOT_WIFI},
        headers=desk.admin,
    )  # fmt: skip

    assert r.status_code == 201, r.text
    assert (r.json()["wifi_name"], r.json()["wifi_password"]) == (
        "SPL-HOTSPOT-1",
        "correct-horse-42",
    )
    cleared = await desk.client.patch(
        "/api/devices/HS9", json={"wifi_password": None}, headers=desk.admin
    )
    assert cleared.json()["wifi_password"] is None
    assert (await desk.device("DEV003"))["wifi_name"] is None


async def test_a_checkout_receipt_gives_the_due_time_in_the_patrons_language(desk):
    await desk.patch_patron("P002", language="es")
    english = await desk.checked_out("P001", "DEV001")
    spanish = await desk.checked_out("P002", "DEV004")

    pdf = await desk.client.get(f"/api/loans/{english['id']}/receipt.pdf", headers=desk.desk)
    html = await desk.client.get(f"/api/loans/{spanish['id']}/receipt.html", headers=desk.desk)

    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    pdftotext = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True
    )
    text = " ".join(pdftotext.stdout.decode().split())
    assert "Checkout receipt" in text and "DEV001" in text
    due = english["due_at"]  # e.g. 2026-12-..T23:59:59-06:00, branch time
    assert due.endswith("T23:59:59-06:00")
    assert "at 11:59 PM (CST)" in text and "Card ending in P001" in text
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert '<html lang="es">' in html.text and "Devolver antes de" in html.text
    assert "a las 23:59 (CST)" in html.text and "DEV004" in html.text
    await desk.checked_in("DEV001")
    returned = await desk.client.get(f"/api/loans/{english['id']}/receipt.pdf", headers=desk.desk)
    assert desk.problem(returned, 409) == "loan_not_active"
    missing = await desk.client.get("/api/loans/999999/receipt.html", headers=desk.desk)
    assert desk.problem(missing, 404) == "loan_not_found"


async def test_a_receipt_carries_the_due_year_in_both_languages_and_no_dangling_or(desk):
    await desk.patch_patron("P002", language="es")
    english = await desk.checked_out("P001", "DEV001")
    spanish = await desk.checked_out("P002", "DEV004")
    year = english["due_at"][:4]

    en = await desk.client.get(f"/api/loans/{english['id']}/receipt.html", headers=desk.desk)
    es = await desk.client.get(f"/api/loans/{spanish['id']}/receipt.html", headers=desk.desk)

    assert f", {year} at 11:59 PM (CST)" in en.text
    assert f" de {year} a las 23:59 (CST)" in es.text
    # No renewal address or phone is set: the desk is the only way, said without an "Or".
    assert "Ask at the desk of any branch." in en.text and "Or ask" not in en.text
    assert "Pregunte en el mostrador" in es.text and "O pregunte" not in es.text
