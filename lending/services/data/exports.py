"""CSV exports, streamed in batches: devices, current loans, service lines, patrons, and the
funder compliance export (one row per loan of each device, with the borrower while the loan
still has one; anonymized loans have none).

The devices, lines and patrons files use the import's column names, so an export can be edited
and imported again. Cells a spreadsheet would run as a formula get a leading quote. Files start
with a UTF-8 byte order mark, so spreadsheet programs read accents right.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from ...circulation import OVERDUE, FieldError, Invalid, LoanStatus
from .._common.render import cents_to_amount, render_date, render_time, zone
from .._common.sql import fetch
from .csv_read import safe_cell

__all__ = ["EXPORTS", "export_csv"]

BATCH = 2000
BOM = "\ufeff"

Shape = Callable[[dict[str, Any], datetime], list[Any]]


def _csv(rows: Iterable[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


def _money(cents: int | None) -> str:
    return f"{cents_to_amount(cents):.2f}"


def _local_date(value: datetime | None, timezone: str) -> str:
    if value is None:
        return ""
    return value.astimezone(zone(timezone)).date().isoformat()


DEVICES = (
    [
        "barcode",
        "kind",
        "model",
        "serial_number",
        "imei",
        "branch",
        "status",
        "replacement_cost",
        "notes",
        "wifi_name",
        "acquired_on",
    ],
    "SELECT d.id, d.barcode, d.kind, d.model, d.serial_number, d.imei, b.code AS branch, "
    "d.status, d.replacement_cost_cents, d.notes, d.wifi_name, d.acquired_on "
    "FROM device d JOIN branch b ON b.id = d.branch WHERE d.id > {} ORDER BY d.id LIMIT {}",
    lambda r, now: [
        r["barcode"],
        r["kind"],
        r["model"],
        r["serial_number"],
        r["imei"],
        r["branch"],
        r["status"],
        _money(r["replacement_cost_cents"]),
        r["notes"],
        r["wifi_name"],
        str(r["acquired_on"])[:10] if r["acquired_on"] else "",
    ],
)

LOANS = (
    [
        "loan",
        "device",
        "kind",
        "model",
        "patron",
        "patron_name",
        "branch",
        "checked_out_at",
        "due_at",
        "renewals",
        "status",
    ],
    "SELECT l.id, d.barcode, l.kind, d.model, p.card_number, p.name AS patron_name, "
    "b.code AS branch, b.timezone, l.checked_out_at, l.due_at, l.renewals, l.status "
    "FROM loan l JOIN device d ON d.id = l.device JOIN branch b ON b.id = l.branch "
    "LEFT JOIN patron p ON p.id = l.patron "
    "WHERE l.returned_at IS NULL AND l.id > {} ORDER BY l.id LIMIT {}",
    lambda r, now: [
        r["id"],
        r["barcode"],
        r["kind"],
        r["model"],
        r["card_number"],
        r["patron_name"],
        r["branch"],
        render_time(r["checked_out_at"], r["timezone"]),
        render_time(r["due_at"], r["timezone"]),
        r["renewals"],
        OVERDUE if r["status"] == LoanStatus.ACTIVE and r["due_at"] < now else r["status"],
    ],
)

LINES = (
    ["iccid", "phone_number", "carrier", "plan", "status", "device", "monthly_cost"],
    "SELECT s.id, s.iccid, s.msisdn, s.carrier, p.name AS plan, s.status, d.barcode, "
    "p.monthly_cost_cents FROM service_line s LEFT JOIN data_plan p ON p.id = s.plan "
    "LEFT JOIN device d ON d.id = s.device WHERE s.id > {} ORDER BY s.id LIMIT {}",
    lambda r, now: [
        r["iccid"],
        r["msisdn"],
        r["carrier"],
        r["plan"],
        r["status"],
        r["barcode"],
        _money(r["monthly_cost_cents"]) if r["plan"] else "",
    ],
)

PATRONS = (
    [
        "card_number",
        "name",
        "email",
        "phone",
        "language",
        "household",
        "branch",
        "expires_on",
        "blocked",
        "block_reason",
    ],
    "SELECT p.id, p.card_number, p.name, p.email, p.phone, p.language, p.household, "
    "b.code AS branch, p.expires_on, p.blocked, p.block_reason "
    "FROM patron p LEFT JOIN branch b ON b.id = p.branch WHERE p.id > {} ORDER BY p.id LIMIT {}",
    lambda r, now: [
        r["card_number"],
        r["name"],
        r["email"],
        r["phone"],
        r["language"],
        r["household"],
        r["branch"],
        render_date(_as_date(r["expires_on"])),
        "true" if r["blocked"] else "false",
        r["block_reason"],
    ],
)

COMPLIANCE_COLUMNS = [
    "barcode",
    "type",
    "make_and_model",
    "serial_number",
    "branch",
    "loan",
    "checked_out_on",
    "returned_on",
    "borrower",
    "borrower_name",
]


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


EXPORTS: dict[str, tuple[list[str], str, Shape]] = {
    "devices": DEVICES,
    "loans": LOANS,
    "lines": LINES,
    "patrons": PATRONS,
}


async def export_csv(
    kind: str,
    now: datetime,
    *,
    start: date | None = None,
    end: date | None = None,
    timezone: str = "UTC",
) -> AsyncIterator[str]:
    """The CSV text of export `kind`, in chunks. `start`/`end` (dates in `timezone`, both
    included) limit the compliance export to loans out at some point in that period."""
    if kind == "compliance":
        return _compliance(start, end, timezone)
    if kind not in EXPORTS:
        raise Invalid(FieldError("kind", f"must be one of {', '.join([*EXPORTS, 'compliance'])}"))
    return _table(kind, now)


async def _table(kind: str, now: datetime) -> AsyncIterator[str]:
    header, sql, shape = EXPORTS[kind]
    yield BOM + _csv([header])
    after = 0
    while True:
        rows = await fetch(sql, after, BATCH)
        if not rows:
            return
        yield _csv(shape(r, now) for r in rows)
        after = rows[-1]["id"]


async def _compliance(start: date | None, end: date | None, timezone: str) -> AsyncIterator[str]:
    yield BOM + _csv([COMPLIANCE_COLUMNS])
    on = ""
    args: list[Any] = []
    if start is not None:  # loans still out at the start, or returned after it
        on += " AND (l.returned_at IS NULL OR l.returned_at >= {})"
        args.append(datetime.combine(start, time(), zone(timezone)))
    if end is not None:
        on += " AND l.checked_out_at < {}"
        args.append(datetime.combine(end + timedelta(days=1), time(), zone(timezone)))
    after = 0
    while True:
        ids = await fetch(
            "SELECT id FROM device WHERE id > {} ORDER BY id LIMIT {}", after, BATCH // 4
        )
        if not ids:
            return
        last = ids[-1]["id"]
        rows = await fetch(
            "SELECT d.barcode, d.kind, d.model, d.serial_number, b.code AS branch, "
            "b.timezone, l.id AS loan, l.checked_out_at, l.returned_at, p.card_number, "
            "p.name FROM device d JOIN branch b ON b.id = d.branch "
            f"LEFT JOIN loan l ON l.device = d.id{on} LEFT JOIN patron p ON p.id = l.patron "
            "WHERE d.id > {} AND d.id <= {} ORDER BY d.id, l.checked_out_at, l.id",
            *args,
            after,
            last,
        )
        yield _csv(
            [
                r["barcode"],
                r["kind"],
                r["model"],
                r["serial_number"],
                r["branch"],
                r["loan"] or "",
                _local_date(r["checked_out_at"], r["timezone"]),
                _local_date(r["returned_at"], r["timezone"]),
                r["card_number"],
                r["name"],
            ]
            for r in rows
        )
        after = last
