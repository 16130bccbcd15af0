"""The import, export and report pages in-process (no browser): hostile uploads get a plain
answer and import nothing (never a 5xx), a dry run carries the file to "Import for real",
exports and report CSVs download through page routes, bad report filters are field errors,
and only admins get in."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest

pytestmark = pytest.mark.asyncio

LONG = "x" * 10_000
DEVICES_HEADER = "barcode,kind,model,serial_number,branch,replacement_cost\n"


def csrf_of(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def field_error(html: str, name: str) -> str | None:
    match = re.search(rf'<p class="error" id="f-{name}-error">([^<]*)</p>', html)
    return unescape(match.group(1)) if match else None


def problems(html: str) -> list[tuple[str, str, str]]:
    """The rows of the error report table: (line, column, reason)."""
    table = re.search(r'<table class="import-errors">(.*?)</table>', html, re.S)
    assert table, "the page has no error report"
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", table.group(1))
    return [(a, unescape(b), unescape(c)) for a, b, c in rows]


async def log_in(client: Any, username: str) -> None:
    r = await client.get("/login")
    r = await client.post(
        "/login",
        data={"username": username, "password": "correct-horse", "_csrf_token": csrf_of(r.text)},
    )
    assert r.status_code == 303, r.text


async def upload(
    client: Any,
    data: dict[str, str],
    file: tuple[str, bytes] | None = None,
) -> Any:
    page = await client.get("/admin/imports")
    assert page.status_code == 200, page.text
    form = {**data, "_csrf_token": csrf_of(page.text)}
    files = {"file": (file[0], file[1], "text/csv")} if file else {"file": ("", b"", "text/csv")}
    return await client.post("/admin/imports", data=form, files=files)


@pytest.fixture
async def admin_client(client, api, library):
    await log_in(client, "admin")
    return client


async def device_count(api: Any) -> int:
    r = await api.client.get("/api/devices", headers=api.headers["admin"])
    assert r.status_code == 200
    return r.json()["total"]


async def test_hostile_uploads_get_clear_errors_and_import_nothing(admin_client, api):
    before = await device_count(api)
    good = (DEVICES_HEADER + "DATA-F1,hotspot,M,S1,MAIN,10\n").encode()

    r = await upload(admin_client, {"kind": "devices"})  # no file chosen
    assert r.status_code == 422
    assert field_error(r.text, "file") == "Choose a CSV file to upload."

    r = await upload(admin_client, {"kind": "toaster"}, ("d.csv", good))
    assert r.status_code == 422
    assert field_error(r.text, "kind") == "Choose devices, service lines or patrons."

    r = await upload(admin_client, {"kind": LONG}, ("d.csv", good))
    assert r.status_code == 422 and field_error(r.text, "kind")

    r = await upload(admin_client, {"kind": "devices"}, ("empty.csv", b""))
    assert r.status_code == 422
    assert problems(r.text) == [
        ("1", "(whole line)", "the file is empty; the first line must name the columns")
    ]

    latin1 = (DEVICES_HEADER + "DATA-F2,hotspot,Módem,S2,MAIN,10\n").encode("latin-1")
    r = await upload(admin_client, {"kind": "devices"}, ("latin1.csv", latin1))
    assert r.status_code == 422
    [(line, column, reason)] = problems(r.text)
    assert line == "2" and "not UTF-8" in reason and "Nothing was imported" in r.text

    r = await upload(admin_client, {"kind": "patrons"}, ("devices.csv", good))  # wrong kind
    assert r.status_code == 422
    found = problems(r.text)
    assert any(c == "barcode" and why.startswith("unknown column") for _, c, why in found)
    assert ("1", "card_number", "this required column is missing") in found

    binary = bytes(range(256)) * 40
    r = await upload(admin_client, {"kind": "lines", "dry_run": "on"}, ("x.png", binary))
    assert r.status_code == 422 and problems(r.text)

    assert await device_count(api) == before


async def test_a_dry_run_shows_the_changes_and_import_for_real_writes_them(admin_client, api):
    text = (
        DEVICES_HEADER + "DATA-F3,hotspot,Form Modem,S3,MAIN,10\nDEV001,hotspot,New,SN1,MAIN,100\n"
    )
    before = await device_count(api)
    r = await upload(admin_client, {"kind": "devices", "dry_run": "on"}, ("d.csv", text.encode()))
    assert r.status_code == 200, r.text
    assert "would create 1, update 1 and leave 0 unchanged" in r.text
    assert await device_count(api) == before
    carried = re.search(r'<textarea name="csv_text"[^>]*>\n(.*?)</textarea>', r.text, re.S)
    assert carried and unescape(carried.group(1)) == text

    r = await admin_client.post(
        "/admin/imports",
        data={"kind": "devices", "csv_text": text, "_csrf_token": csrf_of(r.text)},
    )
    assert r.status_code == 200, r.text
    assert "1 created, 1 updated, 0 unchanged" in r.text
    assert await device_count(api) == before + 1
    r = await api.client.get("/api/devices/DEV001", headers=api.headers["admin"])
    assert r.json()["model"] == "New"


async def test_a_file_over_the_usual_one_megabyte_body_limit_is_accepted(admin_client, api):
    text = (
        DEVICES_HEADER + "DATA-F4,laptop,Big,S4,MAIN,10\n" + (" " * 1023 + "\n") * 1200
    )  # blank lines, 1.2 MB
    r = await upload(admin_client, {"kind": "devices", "dry_run": "on"}, ("big.csv", text.encode()))
    assert r.status_code == 200, r.text[:500]
    assert "would create 1" in r.text
    assert "upload it again below" in r.text  # too large to carry over in the page
    huge = DEVICES_HEADER.encode() + b" " * (20 * 1024 * 1024)
    r = await upload(admin_client, {"kind": "devices"}, ("huge.csv", huge))
    assert r.status_code == 413 and "too large" in r.text


async def test_exports_download_through_page_routes(admin_client):
    r = await admin_client.get("/admin/exports")
    assert r.status_code == 200 and 'href="/admin/exports/devices.csv"' in r.text
    r = await admin_client.get("/admin/exports/devices.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.text.lstrip("\ufeff").startswith("barcode,kind,model") and "DEV001" in r.text
    r = await admin_client.get("/admin/exports/compliance.csv?from=2020-01-01&to=2099-01-01")
    assert r.status_code == 200 and "DEV001" in r.text
    r = await admin_client.get("/admin/exports/compliance.csv?from=2020-02-01&to=2020-01-01")
    assert r.status_code == 422
    assert field_error(r.text, "from") == "The first day must not be after the last day."
    r = await admin_client.get(f"/admin/exports/compliance.csv?to={LONG}")
    assert r.status_code == 422 and field_error(r.text, "to") == "Enter a date as YYYY-MM-DD."
    r = await admin_client.get("/admin/exports/secrets.csv")
    assert r.status_code == 404


async def test_reports_show_tables_charts_and_csv_links_and_refuse_bad_filters(admin_client):
    r = await admin_client.get("/admin/reports?from=2026-01-01&to=2026-03-31&kind=hotspot")
    assert r.status_code == 200
    assert r.text.count("<svg") == 5 and 'role="img"' in r.text
    assert "/admin/reports/utilization.csv?from=2026-01-01&amp;to=2026-03-31&amp;kind=hotspot" in (
        r.text
    )
    r = await admin_client.get("/admin/reports/utilization.csv?from=2026-01-01&to=2026-03-31")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.text.startswith("kind,branch,devices")
    cases = [
        ("from=2026-03-01&to=2026-01-01", "from", "Must not be after `to`"),
        ("from=yesterday", "from", "Enter a date as YYYY-MM-DD."),
        (f"to={LONG}", "to", "Enter a date as YYYY-MM-DD."),
        ("kind=toaster", "kind", "Choose one of the listed kinds."),
        (f"branch={LONG}", "branch", "Choose one of the listed branches."),
        ("branch=NOWHERE", "branch", None),
    ]
    for query, name, message in cases:
        r = await admin_client.get(f"/admin/reports?{query}")
        assert r.status_code == 422, query
        error = field_error(r.text, name)
        assert error and (message is None or error == message), (query, error)
        assert "<svg" not in r.text
    r = await admin_client.get("/admin/reports/waitlist.csv?kind=toaster")
    assert r.status_code == 422
    r = await admin_client.get("/admin/reports/nothing.csv")
    assert r.status_code == 404


async def test_only_admins_get_the_data_pages(client, api, library):
    paths = (
        "/admin/imports",
        "/admin/exports",
        "/admin/exports/patrons.csv",
        "/admin/reports",
        "/admin/reports/lines.csv",
    )
    for path in paths:
        r = await client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/admin")
    await log_in(client, "desk")
    for path in paths:
        r = await client.get(path)
        assert r.status_code == 403 and "for administrators" in r.text, path
    token = csrf_of((await client.get("/login")).text)
    r = await client.post(
        "/admin/imports",
        data={"kind": "devices", "_csrf_token": token},
        files={"file": ("d.csv", (DEVICES_HEADER + "DATA-F5,laptop,M,S5,MAIN,1\n").encode())},
    )
    assert r.status_code == 403
    assert await device_count(api) == 5


async def test_a_dry_run_of_patrons_with_pins_never_puts_the_pins_into_the_page(admin_client):
    text = "card_number,name,language,pin\n29990000000001,Pin Person,en,864213\n"
    r = await upload(admin_client, {"kind": "patrons", "dry_run": "on"}, ("p.csv", text.encode()))
    assert r.status_code == 200, r.text
    assert "would create 1" in r.text
    assert "864213" not in r.text
    assert 'name="csv_text"' not in r.text
