"""What happens after checkout, as set-based SQL: due-soon reminders, overdue notices,
marking long-overdue loans lost (with a replacement charge), and asking for hotspot lines to
be suspended. Every function takes `now`, is idempotent for the same `now`, and returns counts."""

from __future__ import annotations

from datetime import datetime, timedelta

from msgspec import Struct

from ...circulation import (
    BranchCalendar,
    CarrierActionStatus,
    ChargeStatus,
    DeviceStatus,
    LineStatus,
    LoanStatus,
    NoticeStatus,
    is_cellular,
)
from ...database import is_postgres, write_transaction
from .._common.request_context import current_request_id
from .._common.sql import execute, fetch, ids_in, json_object
from ..library.policies import all_policies
from ..notices.outbox import CHANNEL_SQL, queue_for_loans

__all__ = [
    "MarkedLost",
    "Queued",
    "SuspensionsQueued",
    "mark_lost",
    "queue_due_soon",
    "queue_line_suspensions",
    "queue_overdue",
]

BATCH = 5000
OPEN_ACTIVE = f"l.returned_at IS NULL AND l.status = '{LoanStatus.ACTIVE}' AND l.patron IS NOT NULL"


class Queued(Struct, kw_only=True):
    """A notice job's run: how many notices it queued."""

    queued: int


class MarkedLost(Struct, kw_only=True):
    marked_lost: int


class SuspensionsQueued(Struct, kw_only=True):
    suspensions_queued: int


async def queue_due_soon(now: datetime, timezone: str) -> Queued:
    """A reminder `reminder_days_before_due` days before the due date, once per loan and due
    date (the stage is the loan's renewal count, which changes with every new due date)."""
    calendar = BranchCalendar.of(timezone)
    queued = 0
    for policy in await all_policies():
        days = policy.reminder_days_before_due
        horizon = calendar.end_of(calendar.local_date(now) + timedelta(days=days))
        async with write_transaction():
            queued += await queue_for_loans(
                "due_soon",
                "('r' || CAST(l.renewals AS TEXT))",
                f"{OPEN_ACTIVE} AND l.kind = {{}} AND l.due_at > {{}} AND l.due_at <= {{}}",
                now,
                policy.kind,
                now,
                horizon,
            )
    return Queued(queued=queued)


async def queue_overdue(now: datetime) -> Queued:
    """One notice at each stage of `overdue_notice_days`, never twice. A loan first seen past
    several stages gets only the latest one it has reached. One statement per kind."""
    queued = 0
    for policy in await all_policies():
        stages = sorted(policy.overdue_notice_days, reverse=True)
        if not stages:
            continue
        cases = " ".join(f"WHEN l.due_at <= {{}} THEN 'd{d}-r'" for d in stages)
        stage_sql = f"((CASE {cases} END) || CAST(l.renewals AS TEXT))"
        cutoffs = [now - timedelta(days=d) for d in stages]
        async with write_transaction():
            queued += await queue_for_loans(
                "overdue",
                stage_sql,
                f"{OPEN_ACTIVE} AND l.kind = {{}} AND l.due_at <= {{}}",
                now,
                *cutoffs,
                policy.kind,
                cutoffs[-1],
            )
    return Queued(queued=queued)


async def mark_lost(now: datetime) -> MarkedLost:
    """Loans overdue by `lost_after_days`: loan and device `lost`, the replacement cost recorded
    as a charge, a notice queued and an audit event written, in batches of BATCH loans."""
    marked = 0
    for policy in await all_policies():
        cutoff = now - timedelta(days=policy.lost_after_days)
        while True:
            async with write_transaction():
                # Lock the loans and their devices, skipping any a desk is checking in right now
                # (checkin locks the device first): no waiting, so no deadlock.
                lock = " FOR UPDATE OF l, d SKIP LOCKED" if is_postgres() else ""
                rows = await fetch(
                    f"SELECT l.id FROM loan l JOIN device d ON d.id = l.device WHERE {OPEN_ACTIVE} AND l.kind = {{}} "
                    f"AND l.due_at <= {{}} ORDER BY l.id LIMIT {BATCH}{lock}",
                    policy.kind,
                    cutoff,
                )
                ids = [r["id"] for r in rows]
                if not ids:
                    break
                await _lose(ids, now)
                marked += len(ids)
            if len(ids) < BATCH:
                break
    return MarkedLost(marked_lost=marked)


async def _lose(ids: list[int], now: datetime) -> None:
    loans_in, param = ids_in("l.id", ids)
    await execute(
        "INSERT INTO charge (loan, patron, kind, amount_cents, status, created_at, closed_at) "
        f"SELECT l.id, l.patron, 'replacement', d.replacement_cost_cents, '{ChargeStatus.OPEN}', {{}}, NULL "
        f"FROM loan l JOIN device d ON d.id = l.device WHERE {loans_in}",
        now,
        param,
    )
    await execute(
        "INSERT INTO notice (patron, kind, loan, hold, stage, channel, recipient, language, "
        "subject, body, status, attempts, next_attempt_at, last_error, created_at, sent_at) "
        "SELECT l.patron, 'lost', l.id, NULL, 'lost', "
        f"{CHANNEL_SQL}, "
        f"NULL, p.language, '', '', '{NoticeStatus.PENDING}', 0, {{}}, '', {{}}, NULL "
        f"FROM loan l JOIN patron p ON p.id = l.patron WHERE {loans_in} "
        "ON CONFLICT DO NOTHING",
        now,
        now,
        param,
    )
    await execute(
        "INSERT INTO event (at, actor, action, subject, details, patron_card, loan, request_id) "
        "SELECT {}, 'job:mark_lost', 'marked_lost', d.barcode, "
        f"{json_object('replacement_cost_cents', 'd.replacement_cost_cents')}, "
        "p.card_number, l.id, {} "
        "FROM loan l JOIN device d ON d.id = l.device LEFT JOIN patron p ON p.id = l.patron "
        f"WHERE {loans_in}",
        now,
        current_request_id(),  # None for the job
        param,
    )
    await execute(
        f"UPDATE device SET status = '{DeviceStatus.LOST}', updated_at = {{}} "
        f"WHERE id IN (SELECT l.device FROM loan l WHERE {loans_in})",
        now,
        param,
    )
    await execute(
        f"UPDATE loan SET status = '{LoanStatus.LOST}' WHERE {ids_in('id', ids)[0]}", param
    )


async def queue_line_suspensions(now: datetime) -> SuspensionsQueued:
    """Hotspots overdue by `suspend_line_after_days` whose line is active: queue a suspend
    for the carrier gateway (at most one per line and loan)."""
    queued = 0
    for policy in await all_policies():
        if not is_cellular(policy.kind):
            continue
        cutoff = now - timedelta(days=policy.suspend_line_after_days)
        async with write_transaction():
            queued += await execute(
                "INSERT INTO carrier_action (line, action, loan, status, attempts, "
                "next_attempt_at, last_error, created_at, done_at, done_by) "
                f"SELECT s.id, 'suspend', l.id, '{CarrierActionStatus.PENDING}', 0, {{}}, '', {{}}, "
                "NULL, '' "
                "FROM loan l JOIN service_line s ON s.device = l.device "
                "WHERE l.returned_at IS NULL AND l.kind = {} AND l.due_at <= {} "
                f"AND s.status = '{LineStatus.ACTIVE}' "
                "AND NOT EXISTS (SELECT 1 FROM carrier_action a WHERE a.line = s.id "
                "AND a.action = 'suspend' AND a.loan = l.id) "
                "ON CONFLICT DO NOTHING",
                now,
                now,
                policy.kind,
                cutoff,
            )
    return SuspensionsQueued(suspensions_queued=queued)
