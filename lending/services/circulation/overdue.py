"""What happens after checkout, as set-based SQL: due-soon reminders, overdue notices,
marking long-overdue loans lost (with a replacement charge), and asking for hotspot lines to
be suspended. Every function takes `now`, is idempotent for the same `now`, and returns counts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ...circulation import BranchCalendar, is_cellular
from ...database import is_postgres, write_transaction
from .._common.sql import execute, fetch, ids_in, json_object
from ..library.policies import all_policies
from ..notices.outbox import CHANNEL_SQL, queue_for_loans

__all__ = ["mark_lost", "queue_due_soon", "queue_overdue", "queue_line_suspensions"]

BATCH = 5000
OPEN_ACTIVE = "l.returned_at IS NULL AND l.status = 'active' AND l.patron IS NOT NULL"


async def queue_due_soon(now: datetime, timezone: str) -> dict[str, Any]:
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
    return {"queued": queued}


async def queue_overdue(now: datetime) -> dict[str, Any]:
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
    return {"queued": queued}


async def mark_lost(now: datetime) -> dict[str, Any]:
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
    return {"marked_lost": marked}


async def _lose(ids: list[int], now: datetime) -> None:
    loans_in, param = ids_in("l.id", ids)
    await execute(
        "INSERT INTO charge (loan, patron, kind, amount_cents, status, created_at, closed_at) "
        "SELECT l.id, l.patron, 'replacement', d.replacement_cost_cents, 'open', {}, NULL "
        f"FROM loan l JOIN device d ON d.id = l.device WHERE {loans_in}",
        now,
        param,
    )
    await execute(
        "INSERT INTO notice (patron, kind, loan, hold, stage, channel, recipient, language, "
        "subject, body, status, attempts, next_attempt_at, last_error, created_at, sent_at) "
        "SELECT l.patron, 'lost', l.id, NULL, 'lost', "
        f"{CHANNEL_SQL}, "
        "NULL, p.language, '', '', 'pending', 0, {}, '', {}, NULL "
        f"FROM loan l JOIN patron p ON p.id = l.patron WHERE {loans_in} "
        "ON CONFLICT DO NOTHING",
        now,
        now,
        param,
    )
    await execute(
        "INSERT INTO event (at, actor, action, subject, details, patron_card, loan) "
        "SELECT {}, 'job:mark_lost', 'marked_lost', d.barcode, "
        f"{json_object('replacement_cost_cents', 'd.replacement_cost_cents')}, "
        "p.card_number, l.id "
        "FROM loan l JOIN device d ON d.id = l.device LEFT JOIN patron p ON p.id = l.patron "
        f"WHERE {loans_in}",
        now,
        param,
    )
    await execute(
        "UPDATE device SET status = 'lost', updated_at = {} "
        f"WHERE id IN (SELECT l.device FROM loan l WHERE {loans_in})",
        now,
        param,
    )
    await execute(f"UPDATE loan SET status = 'lost' WHERE {ids_in('id', ids)[0]}", param)


async def queue_line_suspensions(now: datetime) -> dict[str, Any]:
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
                "SELECT s.id, 'suspend', l.id, 'pending', 0, {}, '', {}, NULL, '' "
                "FROM loan l JOIN service_line s ON s.device = l.device "
                "WHERE l.returned_at IS NULL AND l.kind = {} AND l.due_at <= {} "
                "AND s.status = 'active' "
                "AND NOT EXISTS (SELECT 1 FROM carrier_action a WHERE a.line = s.id "
                "AND a.action = 'suspend' AND a.loan = l.id) "
                "ON CONFLICT DO NOTHING",
                now,
                now,
                policy.kind,
                cutoff,
            )
    return {"suspensions_queued": queued}
