"""Reports for admins and funders, aggregated in SQL over a date range in the library's zone.

Definitions (also in the README):
- utilization: for each device, the time in the range during which it was in service (from
  its `acquired_on` date; when that is unknown, from its first loan or when it was added,
  whichever is earlier, so imported stock counts from its first loan; a retired device until it
  was retired, taken as its last update) against the
  time it was out on loan (checkout to checkin, or to the end of the range while still out,
  lost loans included); both clipped to the range, and the range to `now`. Grouped by the
  device's kind and current branch. utilization = loan_days / device_days.
- loans per week: checkouts per week (weeks start on Monday, library time).
- overdue and loss: of the loans checked out in the range, those returned after their due
  date or still out past it now (overdue), and those marked lost (loss).
- waitlist: holds placed in the range; holds still waiting at the end of the range; the wait
  of each hold served in the range, from placing it to the first time a device was set aside
  for it (its `hold_ready` audit event), or to its checkout when it was fulfilled directly.
- lines: service lines by carrier and plan as they are now, the monthly cost of the active and
  suspended ones at their plan's monthly cost, and the suspends carried out in the range.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Generic, TypeVar

import msgspec

from ...circulation import (
    KINDS,
    CarrierActionStatus,
    DeviceStatus,
    FieldError,
    HoldStatus,
    Invalid,
    LineStatus,
    LoanStatus,
)
from .._common.bulk import rows_source
from .._common.render import cents_to_amount, zone
from .._common.sql import fetch
from ..library.branches import branch_by_code
from ..library.policies import valid_kind
from .report_sql import days, days_value, greatest, hold_of_event, least, param

__all__ = [
    "REPORTS",
    "LinesRow",
    "LoansPerWeekRow",
    "OverdueLossRow",
    "Report",
    "ReportRange",
    "UtilizationRow",
    "WaitlistRow",
    "report",
    "report_range",
]

MAX_DAYS = 3660
ALL = "all"  # the total line's kind, branch, week, carrier and plan


class UtilizationRow(msgspec.Struct, kw_only=True):
    kind: str
    branch: str
    devices: int
    loans: int
    device_days: float
    loan_days: float
    utilization: float


class LoansPerWeekRow(msgspec.Struct, kw_only=True):
    """Checkouts in the week starting `week` (a Monday, or "all"), one column per kind."""

    week: str
    hotspot: int
    laptop: int
    tablet: int
    loans: int


class OverdueLossRow(msgspec.Struct, kw_only=True):
    kind: str
    branch: str
    loans: int
    overdue: int
    still_out_overdue: int
    lost: int
    overdue_rate: float
    loss_rate: float


class WaitlistRow(msgspec.Struct, kw_only=True):
    kind: str
    branch: str
    placed: int
    waiting_at_end: int
    served: int
    median_wait_days: float | None


class LinesRow(msgspec.Struct, kw_only=True):
    carrier: str
    plan: str
    lines: int
    active: int
    suspended: int
    cancelled: int
    suspends_in_range: int
    monthly_cost: float


RowT = TypeVar("RowT", UtilizationRow, LoansPerWeekRow, OverdueLossRow, WaitlistRow, LinesRow)


class Report(msgspec.Struct, Generic[RowT], kw_only=True):
    """One report over a range: its rows and the total line; `columns` are the rows' fields
    in order (the CSV header)."""

    report: str
    first: date = msgspec.field(name="from")
    last: date = msgspec.field(name="to")
    timezone: str
    kind: str | None
    branch: str | None
    columns: list[str]
    rows: list[RowT]
    total: RowT


@dataclass(frozen=True)
class ReportRange:
    first: date
    last: date
    timezone: str
    kind: str | None = None
    branch: str | None = None

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), zone(self.timezone)).astimezone(UTC)

    @property
    def end(self) -> datetime:
        nxt = self.last + timedelta(days=1)
        return datetime.combine(nxt, time(), zone(self.timezone)).astimezone(UTC)


async def report_range(
    now: datetime,
    timezone: str,
    first: date | None,
    last: date | None,
    kind: str | None = None,
    branch: str | None = None,
) -> ReportRange:
    """The range to report on; by default the 90 days up to today."""
    today = now.astimezone(zone(timezone)).date()
    last = last or today
    first = first or last - timedelta(days=89)
    if first > last:
        raise Invalid(FieldError("from", "must not be after `to`"))
    if (last - first).days >= MAX_DAYS:
        raise Invalid(FieldError("from", f"a report covers at most {MAX_DAYS} days"))
    if kind:
        valid_kind(kind)
    if branch:
        await branch_by_code(branch, field="branch")
    return ReportRange(first, last, timezone, kind or None, branch or None)


Body = tuple[list[RowT], RowT]  # a report's rows and its total line


def _filters(r: ReportRange, kind_col: str, branch_col: str) -> tuple[str, list[Any]]:
    sql, args = "", []
    if r.kind:
        sql += f" AND {kind_col} = {{}}"
        args.append(r.kind)
    if r.branch:
        sql += f" AND {branch_col} = (SELECT id FROM branch WHERE code = {{}})"
        args.append(r.branch)
    return sql, args


def _ratio(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0


def _utilization_row(
    kind: str, branch: str, devices: int, loans: int, device_days: float, loan_days: float
) -> UtilizationRow:
    return UtilizationRow(
        kind=kind,
        branch=branch,
        devices=devices,
        loans=loans,
        device_days=round(device_days, 2),
        loan_days=round(loan_days, 2),
        utilization=_ratio(loan_days, device_days),
    )


async def utilization(r: ReportRange, now: datetime) -> Body[UtilizationRow]:
    end = min(r.end, max(now, r.start))
    where, args = _filters(r, "d.kind", "d.branch")
    existed_until = (
        f"CASE WHEN d.status = '{DeviceStatus.RETIRED}' THEN {days('d.updated_at')} ELSE q.t END"
    )
    first_loan = days("(SELECT MIN(l0.checked_out_at) FROM loan l0 WHERE l0.device = d.id)")
    added = days("d.created_at")
    in_service = (
        f"COALESCE({days('d.acquired_on')}, {least(added, f'COALESCE({first_loan}, {added})')})"
    )
    rows = await fetch(
        f"WITH q AS (SELECT {param('float8')} AS s, {param('float8')} AS t, "
        f"{param('timestamptz')} AS start_at, {param('timestamptz')} AS end_at), "
        f"dev AS (SELECT d.id, d.kind, d.branch, {greatest(in_service, 'q.s')} AS ds, "
        f"{least(existed_until, 'q.t')} AS de FROM device d CROSS JOIN q WHERE 1 = 1{where}), "
        "lent AS (SELECT l.device, COUNT(*) AS loans, SUM("
        + greatest(
            least(f"COALESCE({days('l.returned_at')}, dev.de)", "dev.de")
            + " - "
            + greatest(days("l.checked_out_at"), "dev.ds"),
            "0",
        )
        + ") AS days FROM loan l JOIN dev ON dev.id = l.device CROSS JOIN q "
        "WHERE l.checked_out_at < q.end_at "
        "AND (l.returned_at IS NULL OR l.returned_at > q.start_at) GROUP BY l.device) "
        "SELECT dev.kind, b.code AS branch, "
        "SUM(CASE WHEN dev.de > dev.ds THEN 1 ELSE 0 END) AS devices, "
        f"SUM({greatest('dev.de - dev.ds', '0')}) AS device_days, "
        "SUM(COALESCE(lent.days, 0)) AS loan_days, SUM(COALESCE(lent.loans, 0)) AS loans "
        "FROM dev JOIN branch b ON b.id = dev.branch LEFT JOIN lent ON lent.device = dev.id "
        "GROUP BY dev.kind, b.code ORDER BY dev.kind, b.code",
        days_value(r.start),
        days_value(end),
        r.start,
        end,
        *args,
    )
    raw = [
        (
            row["kind"],
            row["branch"],
            int(row["devices"] or 0),
            int(row["loans"] or 0),
            float(row["device_days"] or 0),
            float(row["loan_days"] or 0),
        )
        for row in rows
    ]
    total = _utilization_row(
        ALL,
        ALL,
        sum(x[2] for x in raw),
        sum(x[3] for x in raw),
        sum(x[4] for x in raw),
        sum(x[5] for x in raw),
    )
    return [_utilization_row(*x) for x in raw], total


def _weeks(r: ReportRange) -> list[tuple[str, datetime, datetime]]:
    """Weeks (Monday to Sunday, library time) covering the range, clipped to it."""
    monday = r.first - timedelta(days=r.first.weekday())
    out = []
    while monday <= r.last:
        s = max(monday, r.first)
        e = min(monday + timedelta(days=7), r.last + timedelta(days=1))
        tz = zone(r.timezone)
        out.append(
            (
                monday.isoformat(),
                datetime.combine(s, time(), tz).astimezone(UTC),
                datetime.combine(e, time(), tz).astimezone(UTC),
            )
        )
        monday += timedelta(days=7)
    return out


async def loans_per_week(r: ReportRange, now: datetime) -> Body[LoansPerWeekRow]:
    weeks = _weeks(r)
    source, params = rows_source(
        [("week", "text"), ("s", "timestamptz"), ("e", "timestamptz")], weeks
    )
    where, args = _filters(r, "l.kind", "l.branch")
    rows = await fetch(
        f"SELECT w.week, l.kind, COUNT(*) AS loans FROM ({source}) AS w JOIN loan l "
        f"ON l.checked_out_at >= w.s AND l.checked_out_at < w.e{where} "
        "GROUP BY w.week, l.kind",
        *params,
        *args,
    )
    counts = {(row["week"], row["kind"]): int(row["loans"]) for row in rows}
    out = []
    for week, _, _ in weeks:
        by_kind = {k: counts.get((week, k), 0) for k in KINDS}
        out.append(LoansPerWeekRow(week=week, loans=sum(by_kind.values()), **by_kind))
    totals = {k: sum(getattr(w, k) for w in out) for k in KINDS}
    total = LoansPerWeekRow(week=ALL, loans=sum(w.loans for w in out), **totals)
    return out, total


def _overdue_row(
    kind: str, branch: str, loans: int, overdue: int, still_out: int, lost: int
) -> OverdueLossRow:
    return OverdueLossRow(
        kind=kind,
        branch=branch,
        loans=loans,
        overdue=overdue,
        still_out_overdue=still_out,
        lost=lost,
        overdue_rate=_ratio(overdue, loans),
        loss_rate=_ratio(lost, loans),
    )


async def overdue_loss(r: ReportRange, now: datetime) -> Body[OverdueLossRow]:
    where, args = _filters(r, "l.kind", "l.branch")
    rows = await fetch(
        "SELECT l.kind, b.code AS branch, COUNT(*) AS loans, "
        "SUM(CASE WHEN COALESCE(l.returned_at, {}) > l.due_at THEN 1 ELSE 0 END) AS overdue, "
        "SUM(CASE WHEN l.returned_at IS NULL AND l.due_at < {} THEN 1 ELSE 0 END) AS out_overdue, "
        f"SUM(CASE WHEN l.status = '{LoanStatus.LOST}' OR EXISTS (SELECT 1 FROM event e WHERE e.loan = l.id "
        "AND e.action = 'marked_lost') THEN 1 ELSE 0 END) AS lost "
        "FROM loan l JOIN branch b ON b.id = l.branch "
        f"WHERE l.checked_out_at >= {{}} AND l.checked_out_at < {{}}{where} "
        "GROUP BY l.kind, b.code ORDER BY l.kind, b.code",
        now,
        now,
        r.start,
        r.end,
        *args,
    )
    out = [
        _overdue_row(
            row["kind"],
            row["branch"],
            int(row["loans"]),
            int(row["overdue"] or 0),
            int(row["out_overdue"] or 0),
            int(row["lost"] or 0),
        )
        for row in rows
    ]
    total = _overdue_row(
        ALL,
        ALL,
        sum(o.loans for o in out),
        sum(o.overdue for o in out),
        sum(o.still_out_overdue for o in out),
        sum(o.lost for o in out),
    )
    return out, total


async def waitlist(r: ReportRange, now: datetime) -> Body[WaitlistRow]:
    where, args = _filters(r, "h.kind", "h.branch")
    served = (
        f"WITH ready AS (SELECT {hold_of_event()} AS hold, MIN(e.at) AS at FROM event e "
        "WHERE e.action = 'hold_ready' GROUP BY 1), "
        "h AS (SELECT h.id, h.kind, b.code AS branch, h.placed_at, h.closed_at, "
        f"COALESCE(ready.at, CASE WHEN h.status = '{HoldStatus.FULFILLED}' THEN h.closed_at END) "
        "AS served_at "
        "FROM hold h JOIN branch b ON b.id = h.branch LEFT JOIN ready ON ready.hold = h.id "
        f"WHERE h.placed_at < {{}}{where}) "
    )
    counts = await fetch(
        served + "SELECT kind, branch, "
        "SUM(CASE WHEN placed_at >= {} THEN 1 ELSE 0 END) AS placed, "
        "SUM(CASE WHEN COALESCE(served_at, closed_at) IS NULL "
        "OR COALESCE(served_at, closed_at) >= {} THEN 1 ELSE 0 END) AS waiting_at_end "
        "FROM h GROUP BY kind, branch",
        r.end,
        *args,
        r.start,
        r.end,
    )
    medians = {}
    for group in ("kind, branch", "'all' AS kind, 'all' AS branch"):
        found = await fetch(
            served + f", waits AS (SELECT {group}, {days('served_at')} - {days('placed_at')} "
            "AS wait FROM h WHERE served_at >= {} AND served_at < {}), "
            "ranked AS (SELECT kind, branch, wait, ROW_NUMBER() OVER "
            "(PARTITION BY kind, branch ORDER BY wait) AS n, COUNT(*) OVER "
            "(PARTITION BY kind, branch) AS c FROM waits) "
            "SELECT kind, branch, MAX(c) AS served, AVG(wait) AS median FROM ranked "
            "WHERE n IN ((c + 1) / 2, (c + 2) / 2) GROUP BY kind, branch",
            r.end,
            *args,
            r.start,
            r.end,
        )
        medians.update({(m["kind"], m["branch"]): m for m in found})
    out = []
    for row in sorted(counts, key=lambda c: (c["kind"], c["branch"])):
        m = medians.get((row["kind"], row["branch"]), {})
        out.append(_wait_row(row["kind"], row["branch"], row["placed"], row["waiting_at_end"], m))
    m = medians.get((ALL, ALL), {})
    total = _wait_row(ALL, ALL, sum(o.placed for o in out), sum(o.waiting_at_end for o in out), m)
    return [o for o in out if o.placed or o.waiting_at_end or o.served], total


def _wait_row(kind: str, branch: str, placed: Any, waiting: Any, m: dict) -> WaitlistRow:
    median = m.get("median")
    return WaitlistRow(
        kind=kind,
        branch=branch,
        placed=int(placed or 0),
        waiting_at_end=int(waiting or 0),
        served=int(m.get("served") or 0),
        median_wait_days=round(float(median), 2) if median is not None else None,
    )


_LINES_SQL = (
    "SELECT s.carrier, COALESCE(p.name, '') AS plan, COUNT(*) AS lines, "
    f"SUM(CASE WHEN s.status = '{LineStatus.ACTIVE}' THEN 1 ELSE 0 END) AS active, "
    f"SUM(CASE WHEN s.status = '{LineStatus.SUSPENDED}' THEN 1 ELSE 0 END) AS suspended, "
    f"SUM(CASE WHEN s.status = '{LineStatus.CANCELLED}' THEN 1 ELSE 0 END) AS cancelled, "
    f"SUM(CASE WHEN s.status <> '{LineStatus.CANCELLED}' "
    "THEN COALESCE(p.monthly_cost_cents, 0) ELSE 0 END) "
    "AS cost, SUM((SELECT COUNT(*) FROM carrier_action a WHERE a.line = s.id "
    f"AND a.action = 'suspend' AND a.status = '{CarrierActionStatus.DONE}' "
    "AND a.done_at >= {} AND a.done_at < {})) "
    "AS suspends FROM service_line s LEFT JOIN data_plan p ON p.id = s.plan "
    "GROUP BY s.carrier, COALESCE(p.name, '') ORDER BY s.carrier, COALESCE(p.name, '')"
)


async def lines(r: ReportRange, now: datetime) -> Body[LinesRow]:
    rows = await fetch(_LINES_SQL, r.start, r.end)
    out = [
        LinesRow(
            carrier=row["carrier"],
            plan=row["plan"],
            lines=int(row["lines"]),
            active=int(row["active"] or 0),
            suspended=int(row["suspended"] or 0),
            cancelled=int(row["cancelled"] or 0),
            suspends_in_range=int(row["suspends"] or 0),
            monthly_cost=cents_to_amount(int(row["cost"] or 0)),
        )
        for row in rows
    ]
    total = LinesRow(
        carrier=ALL,
        plan=ALL,
        lines=sum(o.lines for o in out),
        active=sum(o.active for o in out),
        suspended=sum(o.suspended for o in out),
        cancelled=sum(o.cancelled for o in out),
        suspends_in_range=sum(o.suspends_in_range for o in out),
        monthly_cost=round(sum(o.monthly_cost for o in out), 2),
    )
    return out, total


REPORTS: dict[str, Callable[[ReportRange, datetime], Awaitable[Body[Any]]]] = {
    "utilization": utilization,
    "loans-per-week": loans_per_week,
    "overdue-loss": overdue_loss,
    "waitlist": waitlist,
    "lines": lines,
}


async def report(name: str, r: ReportRange, now: datetime) -> Report[Any]:
    rows, total = await REPORTS[name](r, now)
    return Report(
        report=name,
        first=r.first,
        last=r.last,
        timezone=r.timezone,
        kind=r.kind,
        branch=r.branch,
        columns=list(total.__struct_fields__),
        rows=rows,
        total=total,
    )
