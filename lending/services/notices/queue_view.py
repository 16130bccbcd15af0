"""The notice queue as staff see it (like Koha's message queue): every notice with its status
and why, per patron; re-queueing a failed or not-sent one; and whether email/SMS is set up, with
how many notices are waiting because it is not (the dashboard and jobs page warning)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec

from ...circulation import Conflict, NotFound, NoticeStatus, notice_channel
from ...circulation.codes import Code
from ...database import write_transaction
from ...settings import Settings
from ...tables import Notice, Patron
from .._common import audit
from .._common.render import local_time
from ..actors import Actor
from .call_list import held_condition
from .delivery import setup_problems

__all__ = [
    "NOTICE_STATES",
    "RESENDABLE",
    "NoticeHealth",
    "NoticeList",
    "NoticeState",
    "NoticeView",
    "list_notices",
    "notice_health",
    "resend_notice",
]


class NoticeState(StrEnum):
    """A notice as staff read it: its status, with sent split into sent to the patron and only
    in the local outbox, and failed into failed (gave up after retries) and not sent (no
    longer true when it was due)."""

    PENDING = NoticeStatus.PENDING.value
    SENT = NoticeStatus.SENT.value
    OUTBOX = "outbox"
    FAILED = NoticeStatus.FAILED.value
    NOT_SENT = "not_sent"


# What a staff member reads, by filter value.
NOTICE_STATES = {
    NoticeState.PENDING: "Pending",
    NoticeState.SENT: "Sent",
    NoticeState.OUTBOX: "Local outbox only",
    NoticeState.FAILED: "Failed",
    NoticeState.NOT_SENT: "Not sent",
}
RESENDABLE = (NoticeState.FAILED, NoticeState.NOT_SENT, NoticeState.OUTBOX)
NOT_SENT = "not sent:%"
OUTBOX = "outbox"  # the channel of a notice written only to the local outbox


class NoticeView(msgspec.Struct, kw_only=True):
    """One notice in the queue, as staff see it (times in the library's zone)."""

    id: int
    kind: str
    patron: str | None  # card number; None for a notice to staff
    name: str | None
    recipient: str | None
    channel: str
    language: str
    state: NoticeState
    state_label: str
    why: str  # the last error, or why it was not sent
    attempts: int
    queued_at: datetime | None
    next_attempt_at: datetime | None
    sent_at: datetime | None
    subject: str
    body: str
    resendable: bool


class NoticeList(msgspec.Struct, kw_only=True):
    items: list[NoticeView]
    total: int


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
    in_outbox = await Notice.count().where(
        Notice.channel == OUTBOX, Notice.status == NoticeStatus.SENT
    )
    return NoticeHealth(problems, waiting, in_outbox if problems else 0, settings.outbox_dir)


def _state_condition(state: str) -> list[Any]:
    sent, failed = Notice.status == NoticeStatus.SENT, Notice.status == NoticeStatus.FAILED
    return {
        NoticeState.PENDING: [Notice.status == NoticeStatus.PENDING],
        NoticeState.SENT: [sent, Notice.channel != OUTBOX],
        NoticeState.OUTBOX: [sent, Notice.channel == OUTBOX],
        NoticeState.FAILED: [failed, Notice.last_error.not_like(NOT_SENT)],
        NoticeState.NOT_SENT: [failed, Notice.last_error.like(NOT_SENT)],
    }.get(state, [])


def _state_of(row: dict[str, Any]) -> NoticeState:
    if row["status"] == NoticeStatus.SENT:
        return NoticeState.OUTBOX if row["channel"] == OUTBOX else NoticeState.SENT
    if row["status"] == NoticeStatus.FAILED:
        not_sent = (row["last_error"] or "").startswith("not sent:")
        return NoticeState.NOT_SENT if not_sent else NoticeState.FAILED
    return NoticeState.PENDING


def notice_view(row: dict[str, Any], timezone: str) -> NoticeView:
    state = _state_of(row)
    return NoticeView(
        id=row["id"],
        kind=row["kind"],
        patron=row["card_number"],
        name=row["patron_name"],
        recipient=row["recipient"],
        channel=row["channel"],
        language=row["language"],
        state=state,
        state_label=NOTICE_STATES[state],
        why=row["last_error"],
        attempts=row["attempts"],
        queued_at=local_time(row["created_at"], timezone),
        next_attempt_at=local_time(row["next_attempt_at"], timezone),
        sent_at=local_time(row["sent_at"], timezone),
        subject=row["subject"],
        body=row["body"],
        resendable=state in RESENDABLE,
    )


async def list_notices(
    timezone: str,
    *,
    state: str | None = None,
    card: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> NoticeList:
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
    return NoticeList(items=[notice_view(r, timezone) for r in rows], total=await count)


async def resend_notice(
    notice_id: int, actor: Actor, now: datetime, *, timezone: str
) -> NoticeView:
    """Queue a failed, not-sent or outbox-only notice again: pending, due now, no attempts, by
    the patron's channel as it is today (email, else SMS, else the call list); audited. Delivery
    checks again that it is still true (a hold that ended is not sent)."""
    async with write_transaction():
        row = await Notice.select().where(Notice.id == notice_id).first()
        if row is None:
            raise NotFound(f"There is no notice {notice_id}.", Code.NOTICE_NOT_FOUND)
        state = _state_of(row)
        if state not in RESENDABLE:
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
        elif channel == OUTBOX:
            channel = "email"
        done = await (
            Notice.update(
                {
                    Notice.status: NoticeStatus.PENDING,
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
