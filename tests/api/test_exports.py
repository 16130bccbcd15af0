"""CSV exports: streamed downloads that spreadsheets cannot be tricked by, and that import back."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from lending.services.circulation.privacy import anonymize_loans


def rows_of(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff"), "exports start with a byte order mark for spreadsheets"
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


async def export(desk, name: str, **params):
    r = await desk.client.get(f"/api/exports/{name}", params=params, headers=desk.admin)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    stem = name.removesuffix(".csv")
    today = desk.clock.now.date().isoformat()
    assert r.headers["content-disposition"] == f'attachment; filename="{stem}-{today}.csv"'
    return r.text


async def test_device_export_neutralizes_formulas_and_imports_back_unchanged(desk):
    r = await desk.client.patch(
        "/api/devices/DEV001",
        json={"model": '=HYPERLINK("http://evil.example","click")', "notes": "+1 spare cable"},
        headers=desk.admin,
    )
    assert r.status_code == 200, r.text
    await desk.checked_out("P001", "DEV002")
    text = await export(desk, "devices.csv")
    rows = {r["barcode"]: r for r in rows_of(text)}
    assert rows["DEV001"]["model"] == '\'=HYPERLINK("http://evil.example","click")'
    assert rows["DEV001"]["notes"] == "'+1 spare cable"
    assert rows["DEV002"]["status"] == "on_loan" and rows["DEV003"]["replacement_cost"] == "100.00"
    assert len(rows) == 5

    r = await desk.client.post(
        "/api/imports/devices",
        content=text.encode(),
        params={"dry_run": "true"},
        headers={**desk.admin, "content-type": "text/csv"},
    )
    # the formula itself cannot be imported (a file cell starting with = is refused) ...
    assert r.status_code == 422
    assert [(e["line"], e["column"]) for e in r.json()["errors"]] == [(2, "model")]
    # ... but everything else comes back as it went out
    without = "".join(line for line in text.splitlines(keepends=True) if "HYPERLINK" not in line)
    r = await desk.client.post(
        "/api/imports/devices",
        content=without.encode(),
        params={"dry_run": "true"},
        headers={**desk.admin, "content-type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["unchanged"], r.json()["updated"], r.json()["created"]) == (4, 0, 0)


async def test_formulas_behind_invisible_or_full_width_characters_are_neutralized_too(desk):
    r = await desk.client.patch(
        "/api/devices/DEV001",
        json={"model": '\uff1dHYPERLINK("http://evil.example")', "notes": "\u200b@SUM(A1)"},
        headers=desk.admin,
    )
    assert r.status_code == 200, r.text
    rows = {r["barcode"]: r for r in rows_of(await export(desk, "devices.csv"))}
    assert rows["DEV001"]["model"] == '\'\uff1dHYPERLINK("http://evil.example")'
    assert rows["DEV001"]["notes"] == "'\u200b@SUM(A1)"


async def test_patron_line_and_current_loan_exports_for_admins_only(desk, problem_code):
    loan = await desk.checked_out("P003", "DEV004")
    patrons = {r["card_number"]: r for r in rows_of(await export(desk, "patrons.csv"))}
    assert patrons["P001"]["household"] == "H1" and patrons["P001"]["expires_on"] == "2030-01-01"
    assert "pin" not in patrons["P001"] and patrons["P003"]["blocked"] == "false"
    loans = rows_of(await export(desk, "loans.csv"))
    assert [(r["loan"], r["device"], r["patron"], r["status"]) for r in loans] == [
        (str(loan["id"]), "DEV004", "P003", "active")
    ]
    assert loans[0]["due_at"] == loan["due_at"]
    assert rows_of(await export(desk, "lines.csv")) == []
    r = await desk.client.get("/api/exports/devices.csv", headers=desk.desk)
    assert problem_code(r, 403) == "forbidden"
    r = await desk.client.get("/api/exports/secrets.csv", headers=desk.admin)
    assert problem_code(r, 404) == "export_not_found"


async def test_compliance_export_lists_each_loan_with_its_borrower_until_anonymized(desk):
    await desk.checked_out("P001", "DEV001")
    await desk.travel(days=2)
    await desk.checked_in("DEV001")
    await desk.checked_out("P002", "DEV001")
    rows = rows_of(await export(desk, "compliance.csv"))
    dev1 = [r for r in rows if r["barcode"] == "DEV001"]
    assert [(r["checked_out_on"], r["returned_on"], r["borrower"]) for r in dev1] == [
        ("2026-12-01", "2026-12-03", "P001"),
        ("2026-12-03", "", "P002"),
    ]
    assert dev1[0]["type"] == "hotspot" and dev1[0]["make_and_model"] == "Model hotspot"
    assert dev1[0]["serial_number"] == "SN1" and dev1[0]["borrower_name"] == "Ana"
    assert [r["loan"] for r in rows if r["barcode"] == "DEV005"] == [""]  # never lent, still listed

    await anonymize_loans(desk.clock.now + timedelta(days=100), 90)
    dev1 = [r for r in rows_of(await export(desk, "compliance.csv")) if r["barcode"] == "DEV001"]
    assert [(r["returned_on"], r["borrower"], r["borrower_name"]) for r in dev1] == [
        ("2026-12-03", "", ""),
        ("", "P002", "Ben"),
    ]
    later = rows_of(await export(desk, "compliance.csv", **{"from": "2026-12-04"}))
    assert [r["borrower"] for r in later if r["barcode"] == "DEV001"] == ["P002"]
