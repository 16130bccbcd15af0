"""Reading an uploaded CSV file defensively, with no database: UTF-8 only (a BOM is fine), a
header naming known columns, a cap on the length of a line, and cells that a spreadsheet
would run as a formula refused. Every problem is a `RowError` (line, column, reason); the
caller rejects the whole file when there is any.

Also the other direction: `safe_cell` neutralizes formula-like cells in exported CSV.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from ...circulation import LendingError
from ...circulation.codes import Code

__all__ = [
    "LINE_CAP",
    "ImportRejected",
    "ParsedFile",
    "RowError",
    "parse_csv",
    "formula_like",
    "safe_cell",
]

LINE_CAP = 64 * 1024  # characters in one line of the file
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # exported cells starting so get a quote
_REFUSED_START = ("=", "@")  # imported cells starting so are refused (no real value does)


def _first_meaningful(text: str) -> str:
    """The first character a spreadsheet acts on: leading spaces of any kind (NBSP, newlines,
    zero-width and other format characters) are skipped, and compatibility forms such as the
    full-width ＝ ＋ － ＠ count as the plain ones."""
    for char in text:
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zs"):
            continue
        return unicodedata.normalize("NFKC", char)[:1]
    return ""


def formula_like(text: str, starts: tuple[str, ...] = FORMULA_START) -> bool:
    """True when a spreadsheet could read `text` as a formula (OWASP CSV injection)."""
    return text.startswith(starts) or _first_meaningful(text) in starts


@dataclass(frozen=True)
class RowError:
    line: int  # line of the file (1 = the header)
    column: str | None  # the column, or None for a problem with the whole line
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "column": self.column, "reason": self.reason}


class ImportRejected(LendingError):
    """The file has bad rows: nothing was imported. `errors` lists every one."""

    status = 422
    title = "Invalid request"
    default_code = Code.IMPORT_REJECTED

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.line, e.column or ""))
        lines = len({e.line for e in self.errors})
        super().__init__(
            f"Nothing was imported: {len(self.errors)} problem(s) on {lines} line(s) of the file."
        )


@dataclass
class ParsedFile:
    columns: list[str]  # normalized header names, in file order
    rows: list[tuple[int, dict[str, str]]]  # (line number, cells by column)
    errors: list[RowError]
    # Rows with a refused cell: their other cells, so those are checked in the same pass.
    broken: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    data_rows: int = 0  # lines after the header that are not blank, readable or not


def safe_cell(value: object) -> str:
    """A value for an exported CSV cell; text a spreadsheet would treat as a formula gets a
    leading quote (OWASP's advice for CSV injection)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if formula_like(text):
        return "'" + text
    return text


def _header_name(raw: str) -> str:
    return raw.strip().lower().replace(" ", "_").replace("-", "_")


def _decode(data: bytes, errors: list[RowError]) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        errors.append(
            RowError(
                line,
                None,
                f"the file is not UTF-8 text (byte 0x{data[exc.start]:02X}); "
                "save it as 'CSV UTF-8' and try again",
            )
        )
        return None


def _lines(text: str, errors: list[RowError]) -> Iterator[str]:
    """Physical lines; one over LINE_CAP is reported and replaced by an empty line, so the
    csv reader never buffers it and line numbers stay right."""
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if len(line) > LINE_CAP:
            errors.append(
                RowError(
                    number,
                    None,
                    f"the line is {len(line):,} characters long; at most {LINE_CAP:,} are allowed",
                )
            )
            yield "\n"
        else:
            yield line


def _cell(raw: str) -> tuple[str, str | None]:
    """The cell's value and a reason to refuse it, if any."""
    value = raw.strip()
    if value.startswith("'") and formula_like(value[1:]):
        value = value[1:]  # a cell neutralized by our own export: take it back
    if "\x00" in value:
        return value, "contains a NUL character"
    if formula_like(value, _REFUSED_START):
        return value, "looks like a spreadsheet formula; remove the leading = or @"
    return value, None


def parse_csv(data: bytes, known: tuple[str, ...], required: tuple[str, ...]) -> ParsedFile:
    """Read `data` as CSV with a header line. Columns must be among `known`; `required` ones
    must be there. Blank lines are skipped. Every problem found is in `errors`."""
    errors: list[RowError] = []
    parsed = ParsedFile([], [], errors)
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        errors.append(RowError(1, None, "the file is empty; the first line must name the columns"))
        return parsed
    text = _decode(data, errors)
    if text is None:
        return parsed
    reader = csv.reader(_lines(text, errors), strict=True)
    header: list[str] | None = None
    header_ok = True
    previous = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(previous + 1, None, f"not readable as CSV: {exc}"))
            previous = reader.line_num
            parsed.data_rows += header is not None
            continue
        line, previous = previous + 1, reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if header is None:
            header = [_header_name(c) for c in record]
            header_ok = _check_header(header, line, known, required, errors)
            parsed.columns = header
            continue
        parsed.data_rows += 1
        if header_ok:
            row, ok = _row(record, header, line, errors)
            if row is not None:
                (parsed.rows if ok else parsed.broken).append((line, row))
    if header is None and not errors:
        errors.append(RowError(1, None, "the file has no header line naming the columns"))
    return parsed


def _check_header(
    header: list[str],
    line: int,
    known: tuple[str, ...],
    required: tuple[str, ...],
    errors: list[RowError],
) -> bool:
    before = len(errors)
    seen: set[str] = set()
    for name in header:
        if not name:
            errors.append(RowError(line, None, "a column has no name"))
        elif name in seen:
            errors.append(RowError(line, name, "the column appears twice"))
        elif name not in known:
            errors.append(
                RowError(line, name, f"unknown column; the columns are {', '.join(known)}")
            )
        seen.add(name)
    for name in required:
        if name not in seen:
            errors.append(RowError(line, name, "this required column is missing"))
    return len(errors) == before


def _row(
    record: list[str], header: list[str], line: int, errors: list[RowError]
) -> tuple[dict[str, str] | None, bool]:
    """The row's cells and whether all were usable (refused cells are left out), or None
    when the values do not line up with the header."""
    if len(record) > len(header) and not any(c.strip() for c in record[len(header) :]):
        record = record[: len(header)]  # trailing empty cells, as some spreadsheets write
    if len(record) != len(header):
        errors.append(
            RowError(
                line,
                None,
                f"the line has {len(record)} values but the header names {len(header)} columns",
            )
        )
        return None, False
    row: dict[str, str] = {}
    ok = True
    for name, raw in zip(header, record, strict=True):
        value, problem = _cell(raw)
        if problem:
            errors.append(RowError(line, name, problem))
            ok = False
        else:
            row[name] = value
    return row, ok
