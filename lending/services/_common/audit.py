"""The audit trail: every change writes one event, inside the change's own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...schemas.base import EventList, EventOut
from ...tables import Event
from ..actors import Actor
from .render import local_time

__all__ = ["list_events", "record", "record_many"]


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
    await Event.insert(
        Event(
            at=now,
            actor=actor.name,
            action=action,
            subject=subject,
            details=details or {},
            patron_card=patron_card,
            loan=loan,
        )
    )


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
    for start in range(0, len(subjects), batch):
        await Event.insert(
            *[
                Event(
                    at=now, actor=actor.name, action=action, subject=subject, details=details or {}
                )  # fmt: skip
                for subject in subjects[start : start + batch]
            ]
        )


async def list_events(
    *,
    timezone: str,
    subject: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> EventList:
    conditions = []
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
    )
