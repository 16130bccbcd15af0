"""Program reports: per program, service point and month, and the funder's inventory export.
Set-based: one query per figure group over all the programs asked for, whatever their size.

A month is its days in the library's time zone. Loans count in the month they are lent;
households and loan-days count every loan out during the month (loan-days: the part of each
loan inside it); overdue and lost count the loans due in the month that came back late, are
still out past due, or were marked lost; renewals are those of the loans lent in the month.
Partner staff always, and anyone asking for `suppress`, get counts under five as "<5".
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from ...circulation import FieldError, Invalid, LoanStatus
from ...circulation.programs import suppressed
from ...schemas.programs import InventoryExport, InventoryRow, ProgramReport, ProgramReportRow
from ...tables import Program
from .._common.render import zone
from .._common.sql import fetch, ids_in
from ..actors import Actor
from ..reports.report_sql import days, days_value, greatest, least, param
from .catalog import program_by_code
from .scope import partner_programs

__all__ = ["inventory_export", "month_range", "program_report"]

COUNTS = ("households", "loans", "loan_days", "renewals", "overdue", "lost")
SESSION_COUNTS = ("sessions", "attendance")


def month_range(month: str, timezone: str) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's, in the library's zone."""
    try:
        first = date.fromisoformat(month + "-01")
    except ValueError:
        raise Invalid(FieldError("month", "a month as YYYY-MM")) from None
    following = (first + timedelta(days=32)).replace(day=1)
    tz = zone(timezone)
    return (
        datetime.combine(first, time(), tzinfo=tz).astimezone(UTC),
        datetime.combine(following, time(), tzinfo=tz).astimezone(UTC),
    )


async def _program_ids(actor: Actor, code: str | None) -> dict[int, str]:
    if code is not None:
        record = await program_by_code(code, actor)
        return {record.id: record.code}
    rows = await Program.select(Program.id, Program.code).order_by(Program.code)
    allowed = await partner_programs(actor)
    return {r["id"]: r["code"] for r in rows if allowed is None or r["id"] in allowed}


async def _loan_figures(ids: list[int], start: datetime, end: datetime) -> list[dict[str, Any]]:
    ts = param("timestamptz")
    ids_sql, ids_arg = ids_in("l.program", ids)
    back = f"COALESCE(l.returned_at, {ts})"
    overlap = f"{least(days(back), param('float8'))} - {greatest(days('l.checked_out_at'), param('float8'))}"
    lent_in = f"(l.checked_out_at >= {ts} AND l.checked_out_at < {ts})"
    due_in = f"(l.due_at >= {ts} AND l.due_at < {ts})"
    late = f"(l.returned_at IS NULL OR l.returned_at > l.due_at OR l.status = '{LoanStatus.LOST}')"
    sql = (
        "SELECT l.program, p.code AS point, "
        "COUNT(DISTINCT COALESCE(l.household, "
        "CAST(l.patron AS TEXT), 'loan:' || CAST(l.id AS TEXT))) AS households, "
        f"SUM(CASE WHEN {lent_in} THEN 1 ELSE 0 END) AS loans, "
        f"SUM({overlap}) AS loan_days, "
        f"SUM(CASE WHEN {lent_in} THEN l.renewals ELSE 0 END) AS renewals, "
        f"SUM(CASE WHEN {due_in} AND {late} THEN 1 ELSE 0 END) AS overdue, "
        f"SUM(CASE WHEN {due_in} AND l.status = '{LoanStatus.LOST}' THEN 1 ELSE 0 END) AS lost "
        "FROM loan l LEFT JOIN service_point p ON p.id = l.service_point "
        f"WHERE {ids_sql} AND l.checked_out_at < {ts} "
        f"AND (l.returned_at IS NULL OR l.returned_at >= {ts}) "
        "GROUP BY l.program, p.code"
    )
    return await fetch(
        sql,
        *(start, end),  # lent in the month
        end,  # back: a loan still out counts to the month's end
        days_value(end),
        days_value(start),
        *(start, end),  # renewals
        *(start, end),  # overdue
        *(start, end),  # lost
        ids_arg,
        end,
        start,
    )


async def _session_figures(ids: list[int], start: datetime, end: datetime):
    ts = param("timestamptz")
    ids_sql, ids_arg = ids_in("s.program", ids)
    sql = (
        "SELECT s.program, p.code AS point, COUNT(DISTINCT s.id) AS sessions, "
        "COUNT(a.id) AS attendance, COALESCE(SUM(s.hours * CASE WHEN a.id IS NULL THEN 0 "
        "ELSE 1 END), 0) AS training_hours "
        "FROM training_session s LEFT JOIN service_point p ON p.id = s.service_point "
        "LEFT JOIN attendance a ON a.session = s.id AND a.attended_at IS NOT NULL "
        f"WHERE {ids_sql} AND s.starts_at >= {ts} AND s.starts_at < {ts} "
        "GROUP BY s.program, p.code"
    )
    return await fetch(sql, ids_arg, start, end)


async def _devices(ids: list[int], end: datetime) -> dict[int, tuple[int, int]]:
    """Each program's devices (assigned stock, plus the quota of kinds with no stock) and how
    many of its loans were out at the month's end."""
    ts = param("timestamptz")
    ids_sql, ids_arg = ids_in("g.id", ids)
    sql = (
        "SELECT g.id, "
        "(SELECT COUNT(*) FROM device d WHERE d.program = g.id) AS stock, "
        "(SELECT COALESCE(SUM(t.quota), 0) FROM program_term t WHERE t.program = g.id "
        "AND t.quota IS NOT NULL AND NOT EXISTS (SELECT 1 FROM device d "
        "WHERE d.program = g.id AND d.kind = t.kind)) AS quota, "
        "(SELECT COUNT(*) FROM loan l WHERE l.program = g.id AND l.checked_out_at < "
        f"{ts} AND (l.returned_at IS NULL OR l.returned_at >= {ts})) AS out_at_end "
        f"FROM program g WHERE {ids_sql}"
    )
    rows = await fetch(sql, end, end, ids_arg)
    return {r["id"]: (int(r["stock"]) + int(r["quota"]), int(r["out_at_end"])) for r in rows}


def _row(
    program: str,
    point: str | None,
    month: str,
    figures: dict[str, Any],
    devices: tuple[int, int] | None,
    hide: bool,
) -> ProgramReportRow:
    def shown(value: float) -> int | str:
        number = int(round(value or 0))
        return suppressed(number) if hide else number

    count, out = devices if devices is not None else (0, 0)
    return ProgramReportRow(
        program=program,
        service_point=point,
        month=month,
        households=shown(figures.get("households", 0)),
        loans=shown(figures.get("loans", 0)),
        loan_days=shown(figures.get("loan_days", 0)),
        devices=shown(count) if devices is not None else 0,
        in_use_share=round(out / count, 3) if devices is not None and count else None,
        renewals=shown(figures.get("renewals", 0)),
        overdue=shown(figures.get("overdue", 0)),
        lost=shown(figures.get("lost", 0)),
        sessions=shown(figures.get("sessions", 0)),
        attendance=shown(figures.get("attendance", 0)),
        training_hours=round(float(figures.get("training_hours", 0) or 0), 2),
    )


async def program_report(
    actor: Actor,
    month: str,
    timezone: str,
    *,
    program: str | None = None,
    suppress: bool = False,
) -> ProgramReport:
    """Every program (or one) the actor may see: a row for the program as a whole, then one
    per service point it lent or trained at that month ("" for loans made at no point)."""
    start, end = month_range(month, timezone)
    hide = suppress or actor.partner_id is not None
    programs = await _program_ids(actor, program)
    ids = list(programs)
    loans = await _loan_figures(ids, start, end) if ids else []
    sessions = await _session_figures(ids, start, end) if ids else []
    devices = await _devices(ids, end) if ids else {}
    by_point: dict[tuple[int, str | None], dict[str, float]] = {}
    totals: dict[int, dict[str, float]] = {i: {} for i in ids}
    for source, names in ((loans, COUNTS), (sessions, (*SESSION_COUNTS, "training_hours"))):
        for r in source:
            key = (r["program"], r["point"])
            cell = by_point.setdefault(key, {})
            for name in names:
                value = float(r[name] or 0)
                cell[name] = cell.get(name, 0) + value
                if name != "households":
                    totals[r["program"]][name] = totals[r["program"]].get(name, 0) + value
    # Households over the whole program: one household counts once, wherever it borrowed.
    if ids:
        for r in await _households(ids, start, end):
            totals[r["program"]]["households"] = float(r["households"])
    rows: list[ProgramReportRow] = []
    for pid, code in sorted(programs.items(), key=lambda item: item[1]):
        rows.append(_row(code, None, month, totals[pid], devices.get(pid), hide))
        for (_, point), figures in sorted(
            ((k, v) for k, v in by_point.items() if k[0] == pid), key=lambda kv: kv[0][1] or ""
        ):
            rows.append(_row(code, point or "", month, figures, None, hide))
    return ProgramReport(month=month, suppressed=hide, rows=rows)


async def _households(ids: list[int], start: datetime, end: datetime):
    ts = param("timestamptz")
    ids_sql, ids_arg = ids_in("l.program", ids)
    sql = (
        "SELECT l.program, COUNT(DISTINCT COALESCE(l.household, CAST(l.patron AS TEXT), "
        "'loan:' || CAST(l.id AS TEXT))) AS households FROM loan l "
        f"WHERE {ids_sql} AND l.checked_out_at < {ts} "
        f"AND (l.returned_at IS NULL OR l.returned_at >= {ts}) GROUP BY l.program"
    )
    return await fetch(sql, ids_arg, end, start)


async def inventory_export(actor: Actor, code: str, timezone: str) -> InventoryExport:
    """The funder's inventory fields per loan under the program: device type, make and model,
    serial, the borrower as the enrolment's reference (never a name or card), dates out and
    back, and the household's statement that it would otherwise lack access."""
    record = await program_by_code(code, actor)
    rows = await fetch(
        "SELECT l.id, l.kind, d.model, d.serial_number, l.checked_out_at, l.returned_at, "
        "e.id AS enrolment, e.attested, e.attested_on FROM loan l "
        "JOIN device d ON d.id = l.device "
        "LEFT JOIN enrolment e ON e.program = l.program AND e.patron = l.patron "
        "WHERE l.program = {} ORDER BY l.checked_out_at, l.id",
        record.id,
    )
    tz = zone(timezone)

    def day(value: Any) -> date | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.astimezone(tz).date()

    def on(value: Any) -> date | None:
        return date.fromisoformat(value) if isinstance(value, str) else value

    return InventoryExport(
        program=code,
        rows=[
            InventoryRow(
                program=code,
                device_type=r["kind"],
                make_model=r["model"],
                serial_number=r["serial_number"],
                borrower=f"{code}-{r['enrolment']:05d}" if r["enrolment"] else "anonymized",
                checked_out_on=day(r["checked_out_at"]),
                returned_on=day(r["returned_at"]),
                attested=bool(r["attested"]),
                attested_on=on(r["attested_on"]),
            )
            for r in rows
        ],
    )
