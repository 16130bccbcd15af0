"""The audit trail: every change writes one event, inside the change's own transaction, with
the id of the request that made it (None outside a request)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...schemas.base import EventList, EventOut
from ...tables import Event
from ..actors import Actor
from .render import local_time
from .request_context import current_request_id

__all__ = ["list_events", "record", "record_many"]


def _new_event(
    actor: Actor,
    action: str,
    subject: str,
    now: datetime,
    details: dict[str, Any] | None,
    request_id: str | None,
    **links: Any,
) -> Event:
    return Event(
        at=now,
        actor=actor.name,
        action=action,
        subject=subject,
        details=details or {},
        request_id=request_id,
        **links,
    )


async def record(
    actor: Actor,
    action: str,
    subject: str,
    now: datetime,
    details: dict[str, Any] | None = None,
    *,
    patron_card: str | None = None,
    loan: int | None = None,
) -> None:
    event = _new_event(actor, action, subject, now, details, current_request_id(),
                       patron_card=patron_card, loan=loan)  # fmt: skip
    await Event.insert(event)


async def record_many(
    actor: Actor,
    action: str,
    subjects: list[str],
    now: datetime,
    details: dict[str, Any] | None = None,
    *,
    batch: int = 500,
) -> None:
    """One event per subject (the same action and details), inserted in batches."""
    request_id = current_request_id()
    for start in range(0, len(subjects), batch):
        await Event.insert(
            *[
                _new_event(actor, action, subject, now, details, request_id)
                for subject in subjects[start : start + batch]
            ]
        )


async def list_events(
    *,
    timezone: str,
    subject: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    request_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> EventList:
    conditions = []
    if request_id:
        conditions.append(Event.request_id == request_id)
    if subject:
        conditions.append(Event.subject == subject)
    if actor:
        conditions.append(Event.actor == actor)
    if action:
        conditions.append(Event.action == action)
    query = Event.select().order_by(Event.id, ascending=False)
    count = Event.count()
    if conditions:
        query = query.where(*conditions)
        count = count.where(*conditions)
    rows = await query.limit(limit).offset(offset).output(load_json=True)
    return EventList(items=[_event(row, timezone) for row in rows], total=await count)


def _event(row: dict[str, Any], timezone: str) -> EventOut:
    details = dict(row["details"] or {})
    if row["patron_card"]:
        details["patron"] = row["patron_card"]
    if row["loan"] is not None:
        details.setdefault("loan", row["loan"])
    return EventOut(
        at=local_time(row["at"], timezone),  # type: ignore[arg-type]  # never NULL
        actor=row["actor"],
        action=row["action"],
        subject=row["subject"],
        details=details,
        request_id=row["request_id"],
    )
