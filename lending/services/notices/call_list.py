"""The call list: notices staff phone patrons about, because the patron has neither email nor
phone, or because the email/SMS they would get is not set up (held, or written only to the
local outbox), until it is. "Called" marks one sent by call, with an audit event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ...circulation import Conflict, NotFound, NoticeStatus
from ...circulation.codes import Code
from ...database import write_transaction
from ...notify.channels import Channels
from ...notify.render import Library, NoticeFacts, render_notice
from ...schemas.notices import CalledOut, CallList, CallOut
from ...settings import Settings
from ...tables import Notice
from .._common import audit
from .._common.render import local_time
from ..actors import Actor
from .delivery import SENDABLE, as_is, as_is_rendered, load_facts

__all__ = ["held_condition", "list_call_list", "mark_called"]

CALL = "call"  # the channel of notices staff phone patrons about
OUTBOX = "outbox"  # the channel of notices written only to the local outbox


def _blank(column: Any) -> Any:
    return column.is_null() | (column == "")


def held_condition(settings: Settings) -> Any | None:
    """Pending patron notices that cannot go out now: none of the patron's channels is set up
    (None when email and SMS both are)."""
    channels = Channels(settings)
    email_ok, sms_ok = not channels.email.problem, not channels.sms.problem
    if email_ok and sms_ok:
        return None
    held = (
        (Notice.status == NoticeStatus.PENDING)
        & Notice.channel.is_in(SENDABLE)
        & Notice.patron.is_not_null()
    )
    if email_ok:
        return held & _blank(Notice.patron.email)
    if sms_ok:
        return held & _blank(Notice.patron.phone)
    return held


def _call_condition(settings: Settings) -> Any:
    """Notices staff must phone about: patrons with neither email nor phone; patrons whose
    channels are not set up (held, or written only to the local outbox), until they are."""
    condition = (Notice.status == NoticeStatus.PENDING) & (Notice.channel == CALL)
    held = held_condition(settings)
    if held is not None:
        condition = condition | held
    outboxed = (Notice.status == NoticeStatus.SENT) & (Notice.channel == OUTBOX)
    return condition | (outboxed & Notice.patron.is_not_null())


async def list_call_list(
    limit: int = 50,
    offset: int = 0,
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> CallList:
    """Notices for staff to call about (`_call_condition`): who, their card, what to tell them
    (in their language) and why they are on the list, oldest patron first."""
    settings = settings or Settings()
    now = now or datetime.now(UTC)
    condition = _call_condition(settings)
    rows = await (
        Notice.select(
            *Notice.all_columns(),
            Notice.patron.card_number.as_alias("card_number"),
            Notice.patron.name.as_alias("patron_name"),
            Notice.patron.phone.as_alias("patron_phone"),
        )
        .where(condition)
        .order_by(Notice.patron)
        .order_by(Notice.id)
        .limit(limit)
        .offset(offset)
    )
    total = await Notice.count().where(condition)
    facts = await load_facts(rows, now, settings)
    library = Library.from_settings(settings)
    channels = Channels(settings)
    items = []
    for row in rows:
        fact = facts.get(row["id"])
        if row["status"] == NoticeStatus.SENT or not isinstance(fact, NoticeFacts):
            subject, body = row["subject"], row["body"]
            note = row["last_error"] if isinstance(fact, NoticeFacts) else fact or ""
        else:
            text = render_notice(fact, library, now) if not as_is(row) else as_is_rendered(row)
            subject, body, note = text.subject, text.body, row["last_error"]
            if not note and row["channel"] in SENDABLE:  # held, before any delivery run
                note = channels.problem(row["channel"]) or ""
        items.append(
            CallOut(
                id=row["id"],
                kind=row["kind"],
                patron=row["card_number"],
                name=row["patron_name"],
                phone=row["patron_phone"],
                language=row["language"],
                queued_at=local_time(row["created_at"], settings.timezone),
                subject=subject,
                body=body,
                note=note,
            )
        )
    return CallList(items=items, total=total)


async def mark_called(
    notice_id: int, actor: Actor, now: datetime, *, settings: Settings | None = None
) -> CalledOut:
    """Staff called the patron about this notice: it is sent (by call), with an audit event."""
    settings = settings or Settings()
    condition = _call_condition(settings)
    row = await (
        Notice.select(*Notice.all_columns(), Notice.patron.card_number.as_alias("card_number"))
        .where(Notice.id == notice_id)
        .first()
    )
    if row is None:
        raise NotFound(f"There is no notice {notice_id}.", Code.NOTICE_NOT_FOUND)
    refusal = Conflict(
        f"Notice {notice_id} is not on the call list (it is {row['status']}, by {row['channel']}).",
        Code.NOTICE_NOT_ON_CALL_LIST,
    )
    if not await Notice.exists().where(Notice.id == notice_id, condition):
        raise refusal
    subject, body = row["subject"], row["body"]
    if row["status"] == NoticeStatus.PENDING:
        fact = (await load_facts([row], now, settings)).get(notice_id)
        if isinstance(fact, NoticeFacts) and not as_is(row):
            text = render_notice(fact, Library.from_settings(settings), now)
            subject, body = text.subject, text.body
    async with write_transaction():
        done = await (
            Notice.update(
                {
                    Notice.status: NoticeStatus.SENT,
                    Notice.channel: CALL,
                    Notice.sent_at: now,
                    Notice.subject: subject,
                    Notice.body: body,
                    Notice.last_error: "",
                }
            )
            .where(
                Notice.id == notice_id,
                Notice.status == row["status"],
                Notice.channel == row["channel"],
            )
            .returning(Notice.id)
        )
        if not done:
            raise refusal
        await audit.record(
            actor,
            "notice_called",
            row["card_number"] or f"notice {notice_id}",
            now,
            {"notice": notice_id, "kind": row["kind"], "was": row["channel"]},
            patron_card=row["card_number"],
            loan=row["loan"],
        )
    sent_at = local_time(now, settings.timezone)
    assert sent_at is not None
    return CalledOut(
        id=notice_id,
        kind=row["kind"],
        patron=row["card_number"],
        status=NoticeStatus.SENT,
        channel=CALL,
        sent_at=sent_at,
        subject=subject,
        body=body,
    )
