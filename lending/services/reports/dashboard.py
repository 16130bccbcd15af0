"""The admin dashboard's figures: a handful of GROUP BY queries, never a loop over rows.

- devices by kind and status;
- open loans per branch: due today (in the branch's own zone) and overdue;
- waiting holds per kind and branch (the waitlists), and holds ready on the shelf;
- carrier lines that are suspended (with the device they sit in);
- the last run of every job, and the latest failed runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from ...circulation import BranchCalendar, HoldStatus, LineStatus, LoanStatus
from ...circulation.reservations import OPEN_RESERVATION_STATUSES
from ...database import is_postgres
from ...tables import Branch, Reservation
from .._common.render import local_time
from .._common.sql import fetch

__all__ = [
    "BranchLoans",
    "Dashboard",
    "DeviceCounts",
    "JobHealth",
    "JobRunBrief",
    "LoansDue",
    "SuspendedLine",
    "SuspendedLines",
    "WaitlistCount",
    "dashboard",
]

SUSPENDED_SHOWN = 20
FAILURES_SHOWN = 10


class DeviceCounts(msgspec.Struct, kw_only=True):
    kinds: dict[str, dict[str, int]]  # {kind: {status: n}}
    statuses: list[str]  # every status some device is in, sorted
    status_totals: dict[str, int]
    total: int


class BranchLoans(msgspec.Struct, kw_only=True):
    branch: str
    due_today: int
    overdue: int
    out: int


class LoansDue(msgspec.Struct, kw_only=True):
    branches: list[BranchLoans]
    due_today: int
    overdue: int


class WaitlistCount(msgspec.Struct, kw_only=True):
    kind: str
    branch: str
    waiting: int
    ready: int


class SuspendedLine(msgspec.Struct, kw_only=True):
    iccid: str
    phone_number: str
    carrier: str
    device: str | None
    since: datetime | None


class SuspendedLines(msgspec.Struct, kw_only=True):
    total: int
    shown: list[SuspendedLine]  # the SUSPENDED_SHOWN suspended longest


class JobRunBrief(msgspec.Struct, kw_only=True):
    id: int
    job: str
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    trigger: str


class JobHealth(msgspec.Struct, kw_only=True):
    last: list[JobRunBrief]  # the last run of every job
    failures: list[JobRunBrief]  # the latest failed runs


class Dashboard(msgspec.Struct, kw_only=True):
    devices: DeviceCounts
    loans: LoansDue
    waitlists: list[WaitlistCount]
    lines: SuspendedLines
    jobs: JobHealth
    reservations_short: int = 0  # reservations with devices no other one could replace


_LOANS_OPEN = f"l.returned_at IS NULL AND l.status = '{LoanStatus.ACTIVE}'"
_SUSPENDED = f"status = '{LineStatus.SUSPENDED}'"


async def devices_by_kind_and_status() -> DeviceCounts:
    rows = await fetch(
        "SELECT kind, status, COUNT(*) AS n FROM device GROUP BY kind, status ORDER BY kind, status"
    )
    kinds: dict[str, dict[str, int]] = {}
    statuses: dict[str, int] = {}
    for r in rows:
        kinds.setdefault(r["kind"], {})[r["status"]] = int(r["n"])
        statuses[r["status"]] = statuses.get(r["status"], 0) + int(r["n"])
    return DeviceCounts(
        kinds=kinds,
        statuses=sorted(statuses),
        status_totals=statuses,
        total=sum(statuses.values()),
    )


async def loans_due(now: datetime) -> LoansDue:
    """Open loans per branch: due later today (branch zone) and overdue. Due dates are the end of
    a local day, so "today" is up to the end of the branch's current local date."""
    branches = await Branch.select(Branch.id, Branch.code, Branch.timezone)
    if not branches:
        return LoansDue(branches=[], due_today=0, overdue=0)
    # One cut-off per branch (its own zone), picked per row by a CASE: still one statement.
    cases: list[str] = []
    args: list[Any] = [now]
    moment = "{}::timestamptz" if is_postgres() else "{}"
    for b in branches:
        calendar = BranchCalendar.of(b["timezone"])
        cases.append("WHEN {} THEN " + moment)
        args += [b["id"], calendar.end_of(calendar.local_date(now))]
    cutoff = "CASE l.branch " + " ".join(cases) + " END"
    rows = await fetch(
        "SELECT b.code AS branch, "
        "SUM(CASE WHEN l.due_at < {} THEN 1 ELSE 0 END) AS overdue, "
        f"SUM(CASE WHEN l.due_at >= {{}} AND l.due_at <= {cutoff} THEN 1 ELSE 0 END) AS due_today, "
        "COUNT(*) AS out "
        "FROM loan l JOIN branch b ON b.id = l.branch "
        f"WHERE {_LOANS_OPEN} "
        "GROUP BY b.code ORDER BY b.code",
        now,
        *args,
    )
    items = [
        BranchLoans(
            branch=r["branch"],
            due_today=int(r["due_today"] or 0),
            overdue=int(r["overdue"] or 0),
            out=int(r["out"]),
        )
        for r in rows
    ]
    return LoansDue(
        branches=items,
        due_today=sum(i.due_today for i in items),
        overdue=sum(i.overdue for i in items),
    )


_WAITLISTS_SQL = (
    "SELECT h.kind AS kind, b.code AS branch, "
    f"SUM(CASE WHEN h.status = '{HoldStatus.WAITING}' THEN 1 ELSE 0 END) AS waiting, "
    f"SUM(CASE WHEN h.status = '{HoldStatus.READY}' THEN 1 ELSE 0 END) AS ready "
    "FROM hold h JOIN branch b ON b.id = h.branch "
    f"WHERE h.status IN ('{HoldStatus.WAITING}', '{HoldStatus.READY}') "
    "GROUP BY h.kind, b.code ORDER BY h.kind, b.code"
)


async def waitlists() -> list[WaitlistCount]:
    rows = await fetch(_WAITLISTS_SQL)
    return [
        WaitlistCount(
            kind=r["kind"],
            branch=r["branch"],
            waiting=int(r["waiting"] or 0),
            ready=int(r["ready"] or 0),
        )
        for r in rows
    ]


async def suspended_lines(timezone: str) -> SuspendedLines:
    total = await fetch(f"SELECT COUNT(*) AS n FROM service_line WHERE {_SUSPENDED}")
    rows = await fetch(
        "SELECT s.iccid, s.msisdn, s.carrier, s.updated_at, d.barcode AS device "
        "FROM service_line s LEFT JOIN device d ON d.id = s.device "
        f"WHERE s.{_SUSPENDED} ORDER BY s.updated_at, s.id "
        f"LIMIT {SUSPENDED_SHOWN}"
    )
    return SuspendedLines(
        total=int(total[0]["n"]) if total else 0,
        shown=[
            SuspendedLine(
                iccid=r["iccid"],
                phone_number=r["msisdn"],
                carrier=r["carrier"],
                device=r["device"],
                since=local_time(_aware(r["updated_at"]), timezone),
            )
            for r in rows
        ],
    )


def _aware(value: Any) -> datetime | None:
    """Raw queries on SQLite give timestamps back as text."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _run(r: dict[str, Any], timezone: str) -> JobRunBrief:
    return JobRunBrief(
        id=r["id"],
        job=r["job"],
        started_at=local_time(_aware(r["started_at"]), timezone),
        finished_at=local_time(_aware(r["finished_at"]), timezone),
        error=r["error"] or None,
        trigger=r["trigger"],
    )


async def job_health(timezone: str) -> JobHealth:
    last = await fetch(
        "SELECT r.id, r.job, r.started_at, r.finished_at, r.error, r.trigger FROM job_run r "
        "JOIN (SELECT job, MAX(id) AS id FROM job_run GROUP BY job) m ON m.id = r.id "
        "ORDER BY r.job"
    )
    failed = await fetch(
        "SELECT id, job, started_at, finished_at, error, trigger FROM job_run "
        f"WHERE error <> '' ORDER BY id DESC LIMIT {FAILURES_SHOWN}"
    )
    return JobHealth(
        last=[_run(r, timezone) for r in last],
        failures=[_run(r, timezone) for r in failed],
    )


async def dashboard(now: datetime, timezone: str) -> Dashboard:
    """Everything the dashboard shows, as of `now` (times in `timezone`)."""
    return Dashboard(
        devices=await devices_by_kind_and_status(),
        loans=await loans_due(now),
        waitlists=await waitlists(),
        lines=await suspended_lines(timezone),
        jobs=await job_health(timezone),
        reservations_short=await Reservation.count().where(
            (Reservation.short > 0) & Reservation.status.is_in(list(OPEN_RESERVATION_STATUSES))
        ),
    )
