"""Queueing patron notices in the outbox. Set-based: one INSERT ... SELECT per stage and kind,
guarded by the outbox's unique key so a notice is never queued twice, even by two instances.

Subjects and bodies are rendered at delivery time (lending.notify), in the patron's language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...circulation import NoticeStatus, notice_channel
from .._common.rows import Row
from .._common.sql import execute

__all__ = ["CHANNEL_SQL", "queue_for_loans", "queue_notice"]

# email when the patron has one, else SMS when they have a phone, else a call list for staff.
CHANNEL_SQL = (
    "CASE WHEN p.email IS NOT NULL AND p.email <> '' THEN 'email' "
    "WHEN p.phone IS NOT NULL AND p.phone <> '' THEN 'sms' ELSE 'call' END"
)

_PENDING = f"'{NoticeStatus.PENDING}'"  # a new notice's status, in SQL
_COLUMNS = (
    "patron, kind, loan, hold, stage, channel, recipient, language, subject, body, status, "
    "attempts, next_attempt_at, last_error, created_at, sent_at"
)


async def queue_for_loans(
    kind: str, stage_sql: str, where_sql: str, now: datetime, *args: Any
) -> int:
    """Queue `kind` notices for every loan matching `where_sql` (aliases: l = loan,
    p = patron) that does not have one for this stage yet. `stage_sql` is an SQL expression over l; the
    {} placeholders in it come first in `args`, then those in `where_sql`. Returns how many."""
    stage_args = args[: stage_sql.count("{}")]
    return await execute(
        f"INSERT INTO notice ({_COLUMNS}) "
        f"SELECT l.patron, '{kind}', l.id, NULL, {stage_sql}, {CHANNEL_SQL}, NULL, p.language, "
        f"'', '', {_PENDING}, 0, {{}}, '', {{}}, NULL "
        "FROM loan l JOIN patron p ON p.id = l.patron "
        f"WHERE {where_sql} "
        "AND NOT EXISTS (SELECT 1 FROM notice n "
        f"WHERE n.kind = '{kind}' AND n.loan = l.id AND n.stage = {stage_sql}) "
        "ON CONFLICT DO NOTHING",
        *stage_args,
        now,
        now,
        *args[len(stage_args) :],
        *stage_args,
    )


async def queue_notice(
    kind: str,
    now: datetime,
    *,
    patron_id: int | None,
    stage: str,
    loan: int | None = None,
    hold: int | None = None,
    recipient: str | None = None,
    language: str = "en",
) -> None:
    """Queue one notice (in the caller's transaction); a duplicate is silently ignored."""
    channel = "email"
    if patron_id is not None:
        rows = await execute_fetch_patron(patron_id)
        if rows:
            language = rows["language"]
            channel = notice_channel(rows["email"], rows["phone"])
    await execute(
        f"INSERT INTO notice ({_COLUMNS}) VALUES "
        "({}, {}, {}, {}, {}, {}, {}, {}, '', '', " + _PENDING + ", 0, {}, '', {}, NULL) "
        "ON CONFLICT DO NOTHING",
        patron_id,
        kind,
        loan,
        hold,
        stage,
        channel,
        recipient,
        language,
        now,
        now,
    )


async def execute_fetch_patron(patron_id: int) -> Row | None:
    from ...tables import Patron

    return (
        await Patron.select(Patron.language, Patron.email, Patron.phone)
        .where(Patron.id == patron_id)
        .first()
    )
