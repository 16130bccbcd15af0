"""The notice queue as staff see it (like Koha's message queue): every notice with its status
and why, per patron; re-queueing a failed or not-sent one; and whether email/SMS is set up, with
how many notices are waiting because it is not (the dashboard and jobs page warning)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...circulation import Conflict, NotFound, notice_channel
from ...circulation.codes import Code
from ...database import write_transaction
from ...settings import Settings
from ...tables import Notice, Patron
from .._common import audit
from .._common.paging import Page, page_of
from .._common.render import render_time
from ..actors import Actor
from .call_list import held_condition
from .delivery import setup_problems

__all__ = [
    "NOTICE_STATES",
    "NoticeHealth",
    "list_notices",
    "notice_health",
    "resend_notice",
]

# What a staff member reads, by filter value: pending, sent (to the patron), only in the local
# outbox, failed (gave up after retries) and not sent (no longer true when it was due).
NOTICE_STATES = {
    "pending": "Pending",
    "sent": "Sent",
    "outbox": "Local outbox only",
    "failed": "Failed",
    "not_sent": "Not sent",
}
NOT_SENT = "not sent:%"
SETUP_SETTINGS = ("LENDING_SMTP_HOST", "LENDING_MAIL_FROM", "LENDING_SMS_WEBHOOK_URL")


@dataclass(frozen=True)
class NoticeHealth:
    """Is real delivery set up? `problems` say what to set; `waiting` notices cannot go out until
    it is; `in_outbox` went only to the local outbox. `alarm`: show the red warning."""

    problems: list[str]
    waiting: int
    in_outbox: int
    outbox_dir: str

    @property
    def alarm(self) -> bool:
        everything_missing = len(self.problems) == 2
        return bool(self.problems) and (everything_missing or self.waiting or self.in_outbox)

    @property
    def undelivered(self) -> int:
        """Notices no patron has received: waiting, or only in the local outbox."""
        return self.waiting + self.in_outbox

    @property
    def settings(self) -> tuple[str, ...]:
        return SETUP_SETTINGS


async def notice_health(settings: Settings) -> NoticeHealth:
    problems = setup_problems(settings)
    held = held_condition(settings)
    waiting = await Notice.count().where(held) if held is not None else 0
    in_outbox = await Notice.count().where(Notice.channel == "outbox", Notice.status == "sent")
    return NoticeHealth(problems, waiting, in_outbox if problems else 0, settings.outbox_dir)


def _state_condition(state: str) -> list[Any]:
    return {
        "pending": [Notice.status == "pending"],
        "sent": [Notice.status == "sent", Notice.channel != "outbox"],
        "outbox": [Notice.status == "sent", Notice.channel == "outbox"],
        "failed": [Notice.status == "failed", Notice.last_error.not_like(NOT_SENT)],
        "not_sent": [Notice.status == "failed", Notice.last_error.like(NOT_SENT)],
    }.get(state, [])


def _state_of(row: dict[str, Any]) -> str:
    if row["status"] == "sent":
        return "outbox" if row["channel"] == "outbox" else "sent"
    if row["status"] == "failed":
        return "not_sent" if (row["last_error"] or "").startswith("not sent:") else "failed"
    return "pending"


def notice_view(row: dict[str, Any], timezone: str) -> dict[str, Any]:
    state = _state_of(row)
    return {
        "id": row["id"],
        "kind": row["kind"],
        "patron": row["card_number"],
        "name": row["patron_name"],
        "recipient": row["recipient"],
        "channel": row["channel"],
        "language": row["language"],
        "state": state,
        "state_label": NOTICE_STATES[state],
        "why": row["last_error"],
        "attempts": row["attempts"],
        "queued_at": render_time(row["created_at"], timezone),
        "next_attempt_at": render_time(row["next_attempt_at"], timezone),
        "sent_at": render_time(row["sent_at"], timezone),
        "subject": row["subject"],
        "body": row["body"],
        "resendable": state in ("failed", "not_sent", "outbox"),
    }


async def list_notices(
    timezone: str,
    *,
    state: str | None = None,
    card: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    """Notices newest first, optionally of one state (NOTICE_STATES) and one patron's card."""
    conditions = _state_condition(state or "")
    if card:
        conditions.append(Notice.patron.card_number == card)
    query = Notice.select(
        *Notice.all_columns(),
        Notice.patron.card_number.as_alias("card_number"),
        Notice.patron.name.as_alias("patron_name"),
    ).order_by(Notice.id, ascending=False)
    count = Notice.count()
    if conditions:
        query, count = query.where(*conditions), count.where(*conditions)
    rows = await query.limit(limit).offset(offset)
    return page_of([notice_view(r, timezone) for r in rows], await count)


async def resend_notice(
    notice_id: int, actor: Actor, now: datetime, *, timezone: str
) -> dict[str, Any]:
    """Queue a failed, not-sent or outbox-only notice again: pending, due now, no attempts, by
    the patron's channel as it is today (email, else SMS, else the call list); audited. Delivery
    checks again that it is still true (a hold that ended is not sent)."""
    async with write_transaction():
        row = await Notice.select().where(Notice.id == notice_id).first()
        if row is None:
            raise NotFound(f"There is no notice {notice_id}.", Code.NOTICE_NOT_FOUND)
        state = _state_of(row)
        if state not in ("failed", "not_sent", "outbox"):
            raise Conflict(
                f"Notice {notice_id} is {NOTICE_STATES[state].lower()}: only a failed, not sent "
                "or local-outbox notice can be sent again.",
                Code.NOTICE_NOT_RESENDABLE,
            )
        channel, card = row["channel"], None
        if row["patron"] is not None:
            patron = (
                await Patron.select(Patron.card_number, Patron.email, Patron.phone)
                .where(Patron.id == row["patron"])
                .first()
            )
            if patron is not None:
                card = patron["card_number"]
                channel = notice_channel(patron["email"], patron["phone"])
        elif channel == "outbox":
            channel = "email"
        done = await (
            Notice.update(
                {
                    Notice.status: "pending",
                    Notice.channel: channel,
                    Notice.attempts: 0,
                    Notice.next_attempt_at: now,
                    Notice.last_error: "",
                    Notice.sent_at: None,
                }
            )
            .where(Notice.id == notice_id, Notice.status == row["status"])
            .returning(Notice.id)
        )
        if not done:
            raise Conflict(
                f"Notice {notice_id} changed meanwhile; look again.", Code.NOTICE_CHANGED
            )
        await audit.record(
            actor,
            "notice_requeued",
            card or f"notice {notice_id}",
            now,
            {"notice": notice_id, "kind": row["kind"], "was": state, "channel": channel},
            patron_card=card,
            loan=row["loan"],
        )
    rows = await Notice.select(
        *Notice.all_columns(),
        Notice.patron.card_number.as_alias("card_number"),
        Notice.patron.name.as_alias("patron_name"),
    ).where(Notice.id == notice_id)
    return notice_view(rows[0], timezone)
