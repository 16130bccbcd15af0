"""The jobs by name, and running one: every run is recorded (start, end, counts, error)."""

from __future__ import annotations

import os
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from ..circulation import NotFound
from ..circulation.codes import Code
from ..database import write_transaction
from ..schemas.jobs import JobRunReply
from ..services.circulation import hold_expiry, overdue, privacy, renewals
from ..services.lines import carrier_actions as carrier
from ..services.lines import plan_digest
from ..services.notices import delivery
from ..services.operations import check as consistency
from ..services.reservations import upkeep
from ..settings import Settings
from ..tables import JobRun

__all__ = ["JOBS", "Job", "Summary", "Unfinished", "run_job"]

# What a job returns: its service's typed result (a Struct of counts), recorded as JSON.
Summary = msgspec.Struct | dict[str, Any]
Job = Callable[[datetime, Settings], Awaitable[Summary]]


class Unfinished(Exception):  # noqa: N818 - a run's outcome, not a programming error
    """A job ran to its end but could not do all its work (notices it could not deliver): the
    run is recorded as failing, with its summary and this message, and is not re-raised."""

    def __init__(self, message: str, summary: Summary) -> None:
        super().__init__(message)
        self.summary = summary


async def due_soon(now: datetime, settings: Settings) -> Summary:
    return await overdue.queue_due_soon(now, settings.timezone)


async def overdue_notices(now: datetime, settings: Settings) -> Summary:
    return await overdue.queue_overdue(now)


async def suspend_lines(now: datetime, settings: Settings) -> Summary:
    return await overdue.queue_line_suspensions(now)


async def carrier_actions(now: datetime, settings: Settings) -> Summary:
    """Carry out queued line suspends and restores (schedule it every minute)."""
    return msgspec.structs.asdict(await carrier.run_carrier_actions(now, settings))


async def mark_lost(now: datetime, settings: Settings) -> Summary:
    return await overdue.mark_lost(now)


async def anonymize(now: datetime, settings: Settings) -> Summary:
    summary = await privacy.anonymize_loans(now, settings.anonymize_after_days)
    purged = await privacy.purge_login_attempts(now, settings.login_window_minutes)
    today = now.astimezone(ZoneInfo(settings.timezone)).date()
    programs = await privacy.anonymize_programs(now, today, settings.program_anonymize_after_days)
    return {
        **msgspec.to_builtins(summary),
        **msgspec.to_builtins(programs),
        "login_attempts_purged": purged,
    }


async def deliver_notices(now: datetime, settings: Settings) -> Summary:
    """Send pending notices: one email or SMS per patron per run, failures retried later. A run
    that left notices undelivered (email/SMS not set up, send failures) is recorded failing."""
    counts = await delivery.deliver_notices(now, settings)
    problem = delivery.run_problem(counts, settings)
    summary = msgspec.structs.asdict(counts)
    if problem:
        raise Unfinished(problem, summary)
    return summary


async def auto_renew(now: datetime, settings: Settings) -> Summary:
    return await renewals.auto_renew(now)


async def expire_holds(now: datetime, settings: Settings) -> Summary:
    return await hold_expiry.expire_holds(now)


async def plan_renewals(now: datetime, settings: Settings) -> Summary:
    return await plan_digest.plan_renewal_digest(now, settings)


async def reservations(now: datetime, settings: Settings) -> Summary:
    """Set devices aside for reservations about to start, cancel no-shows, let go of what an
    event did not take (schedule it every few minutes)."""
    return await upkeep.keep_reservations(now)


async def _check(now: datetime, fix: bool) -> Summary:
    report = await consistency.run_checks(now, fix=fix)
    summary = msgspec.to_builtins(report)
    if report.problems:
        raise Unfinished(f"{report.problems} inconsistencies: see lending check", summary)
    return summary


async def check(now: datetime, settings: Settings) -> Summary:
    """The consistency check (`lending check`): recorded failing while anything is left."""
    return await _check(now, fix=False)


async def check_fix(now: datetime, settings: Settings) -> Summary:
    """The consistency check with its safe repairs (`lending check --fix`)."""
    return await _check(now, fix=True)


# In the order of the issue that asked for them; carrier_actions carries out suspend/restore.
JOBS: dict[str, Job] = {
    "due_soon": due_soon,
    "overdue": overdue_notices,
    "auto_renew": auto_renew,
    "suspend_lines": suspend_lines,
    "mark_lost": mark_lost,
    "expire_holds": expire_holds,
    "plan_renewals": plan_renewals,
    "anonymize": anonymize,
    "deliver_notices": deliver_notices,
    "carrier_actions": carrier_actions,
    "reservations": reservations,
    "check": check,
    "check_fix": check_fix,
}

INSTANCE = f"{socket.gethostname()}:{os.getpid()}"


async def run_job(
    name: str, now: datetime, settings: Settings, trigger: str = "schedule"
) -> JobRunReply:
    """Run job `name` for `now` and record the run. Errors are recorded and re-raised; a run
    that is `Unfinished` is recorded as failing and its reply carries the `error`."""
    job = JOBS.get(name)
    if job is None:
        raise NotFound(
            f"No job named {name!r}; jobs: {', '.join(sorted(JOBS))}.", Code.JOB_NOT_FOUND
        )
    started = datetime.now(UTC)
    async with write_transaction():
        inserted = await JobRun.insert(
            JobRun(job=name, now=now, started_at=started, instance=INSTANCE, trigger=trigger)
        ).returning(JobRun.id)
    run_id = inserted[0]["id"]
    summary: Summary = {}
    error = ""
    try:
        # A job's typed result, as the run's JSON summary.
        summary = msgspec.to_builtins(await job(now, settings))
    except Unfinished as exc:
        summary, error = msgspec.to_builtins(exc.summary), str(exc)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        async with write_transaction():
            await JobRun.update(
                {
                    JobRun.finished_at: datetime.now(UTC),
                    JobRun.summary: summary,
                    JobRun.error: error,
                }
            ).where(JobRun.id == run_id)
    return JobRunReply(job=name, run=run_id, now=now, summary=summary, error=error or None)
