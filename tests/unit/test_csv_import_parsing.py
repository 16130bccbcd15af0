"""Reading uploaded CSV files defensively, and neutralizing exported cells (no database)."""

from __future__ import annotations

import pytest

from lending.services.data.csv_read import LINE_CAP, parse_csv, safe_cell
from lending.services.data.csv_rows import DEVICES, PATRONS, check_row

KNOWN = ("barcode", "kind", "model", "notes")
REQUIRED = ("barcode", "kind")


def problems(data: bytes) -> list[tuple[int, str | None, str]]:
    return [(e.line, e.column, e.reason) for e in parse_csv(data, KNOWN, REQUIRED).errors]


def test_a_utf8_file_with_a_byte_order_mark_and_spaced_headers_reads_cleanly():
    parsed = parse_csv(
        "\ufeffBarcode, Kind ,model\r\nA1,hotspot,Café\r\n\r\n".encode(), KNOWN, REQUIRED
    )
    assert parsed.errors == []
    assert parsed.columns == ["barcode", "kind", "model"]
    assert parsed.rows == [(2, {"barcode": "A1", "kind": "hotspot", "model": "Café"})]


def test_a_file_that_is_not_utf8_is_refused_naming_the_line_of_the_bad_byte():
    data = "barcode,kind\nA1,hotspot\nA2,portátil\n".encode("latin-1")
    [(line, column, reason)] = problems(data)
    assert (line, column) == (3, None)
    assert "not UTF-8" in reason


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_refused(data):
    [(line, _, reason)] = problems(data)
    assert line == 1 and "empty" in reason


def test_missing_unknown_and_repeated_columns_are_each_reported_on_the_header_line():
    found = problems(b"barcode,colour,model,model\nA1,red,x,y\n")
    assert (1, "colour", found[0][2]) in found and "unknown column" in found[0][2]
    assert any(c == "model" and "twice" in r for _, c, r in found)
    assert (1, "kind", "this required column is missing") in found


def test_cells_that_a_spreadsheet_would_run_are_refused_but_our_own_quoted_cells_come_back():
    parsed = parse_csv(
        b'barcode,kind,model,notes\nA1,hotspot,"=HYPERLINK(""http://x"",""y"")",ok\n'
        b"A2,hotspot,@SUM(A1),'-5 scratches\nA3,hotspot,'=ok,'+1 spare\n",
        KNOWN,
        REQUIRED,
    )
    assert [(e.line, e.column) for e in parsed.errors] == [(2, "model"), (3, "model"), (4, "model")]
    parsed = parse_csv(b"barcode,kind,notes\nA2,hotspot,'-5 scratches\n", KNOWN, REQUIRED)
    assert parsed.rows[0][1]["notes"] == "-5 scratches"


def test_a_line_over_the_cap_is_a_row_error_and_later_lines_keep_their_numbers():
    huge = b"A2,hotspot," + b"x" * (10 * 1024 * 1024) + b"\n"
    found = problems(b"barcode,kind,model\nA1,hotspot,m\n" + huge + b"A3,=bad,m\n")
    assert found[0][0] == 3 and f"at most {LINE_CAP:,}" in found[0][2]
    assert found[1][:2] == (4, "kind")


def test_a_quoted_field_that_never_ends_does_not_crash_the_reader():
    data = b'barcode,kind,model\nA1,hotspot,"' + (b"y" * 1000 + b"\n") * 200
    found = problems(data)
    assert found and all(isinstance(line, int) for line, _, _ in found)


def test_rows_with_too_many_or_too_few_values_are_refused_but_trailing_empty_cells_are_not():
    parsed = parse_csv(b"barcode,kind\nA1,hotspot,,\nA2\nA3,laptop,extra\n", KNOWN, REQUIRED)
    assert [r[0] for r in parsed.rows] == [2]
    assert [(e.line, e.column) for e in parsed.errors] == [(3, None), (4, None)]


def test_exported_cells_starting_like_a_formula_get_a_leading_quote():
    assert safe_cell('=HYPERLINK("http://evil")') == '\'=HYPERLINK("http://evil")'
    for text in ("+1 555", "-3", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(text) == "'" + text
    assert safe_cell("plain") == "plain" and safe_cell(None) == "" and safe_cell(12) == "12"


def test_exported_cells_hiding_a_formula_behind_spaces_or_full_width_signs_get_a_quote():
    hidden = [
        " =1+1",
        '\u00a0=HYPERLINK("http://evil")',
        "\n=cmd|' /C calc'!A0",
        "\u200b@SUM(A1)",
        "\u3000+1",
        "\uff1d1+1",
        "\uff0b1",
        "\uff0d1",
        "\uff20SUM(A1)",
        " \t \uff1dX",
    ]
    for text in hidden:
        assert safe_cell(text) == "'" + text, repr(text)
    for text in ("a = b", "Room 2-B", "x@example.org", " plain", "\uff21bc"):
        assert safe_cell(text) == text, repr(text)


def test_imported_cells_hiding_a_formula_are_refused_and_our_quoted_ones_come_back():
    data = "barcode,kind\nA1,\uff1dHYPERLINK()\nA2,\u200b@SUM(A1)\nA3,'\uff1dX\n".encode()
    parsed = parse_csv(data, KNOWN, REQUIRED)
    assert [(e.line, e.column) for e in parsed.errors] == [(2, "kind"), (3, "kind"), (4, "kind")]
    assert all("formula" in e.reason for e in parsed.errors)


def test_device_rows_use_the_api_rules_and_report_every_bad_cell():
    errors = []
    row = {
        "barcode": " A 1 ",
        "kind": "toaster",
        "model": "M",
        "serial_number": "",
        "branch": "MAIN",
        "imei": "123",
        "replacement_cost": "$1,200.50",
    }
    assert check_row(DEVICES, 7, row, errors) is None
    assert {(e.line, e.column) for e in errors} == {
        (7, "kind"),
        (7, "serial_number"),
        (7, "imei"),
    }
    good = check_row(DEVICES, 8, {**row, "kind": "Laptop", "serial_number": "S", "imei": ""}, [])
    assert good["kind"] == "laptop" and good["replacement_cost"] == 120050 and good["imei"] is None


def test_patron_rows_check_language_email_pin_dates_and_flags():
    errors = []
    bad = {
        "card_number": "C1",
        "name": "Ana",
        "language": "fr",
        "email": "nope",
        "pin": "12",
        "expires_on": "12/31/2030",
        "blocked": "maybe",
    }
    assert check_row(PATRONS, 2, bad, errors) is None
    assert {e.column for e in errors} == {"language", "email", "pin", "expires_on", "blocked"}
    ok = check_row(
        PATRONS,
        3,
        {
            "card_number": "C1",
            "name": "Ana",
            "language": "ES",
            "pin": "",
            "blocked": "no",
            "expires_on": "2030-12-31",
        },
        [],
    )
    assert ok["language"] == "es" and ok["pin"] is None and ok["blocked"] is False
    assert ok["expires_on"].isoformat() == "2030-12-31"
