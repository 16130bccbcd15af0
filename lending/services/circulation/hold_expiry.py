"""Ready holds not picked up by their deadline expire; the device passes to the next patron in
the queue (who is told) or goes back on the shelf."""

from __future__ import annotations

from datetime import datetime

from msgspec import Struct

from ...circulation import HoldStatus
from ...database import is_postgres, write_transaction
from ...tables import Device, Hold
from .._common import audit
from ..actors import Actor
from ..notices.outbox import queue_notice
from .lifecycle import move_on

__all__ = ["HoldExpiry", "expire_holds"]

ACTOR = Actor("job:expire_holds", "system")


class HoldExpiry(Struct, kw_only=True):
    """A run of the hold-expiry job: holds expired, and where their devices went."""

    expired: int
    passed_to_next: int
    back_on_shelf: int


async def expire_holds(now: datetime) -> HoldExpiry:
    stale = (
        await Hold.select(Hold.id)
        .where((Hold.status == HoldStatus.READY) & (Hold.ready_until < now))
        .order_by(Hold.id)
    )
    expired = passed_on = shelved = 0
    for row in stale:
        async with write_transaction():
            query = Hold.select(
                Hold.all_columns(), Hold.patron.card_number.as_alias("patron_card")
            ).where(
                (Hold.id == row["id"])
                & (Hold.status == HoldStatus.READY)
                & (Hold.ready_until < now)
            )
            if is_postgres():
                query = query.lock_rows(of=(Hold,))
            hold = await query.first()
            if hold is None:  # picked up or cancelled meanwhile
                continue
            await Hold.update({Hold.status: HoldStatus.EXPIRED, Hold.closed_at: now}).where(
                Hold.id == hold["id"]
            )
            device = await Device.select().where(Device.id == hold["device"]).first()
            await audit.record(
                ACTOR,
                "hold_expired",
                device["barcode"] if device else str(hold["id"]),
                now,
                {"hold": hold["id"], "kind": hold["kind"]},
                patron_card=hold["patron_card"],
            )
            if hold["patron"] is not None:
                await queue_notice(
                    "hold_expired", now, patron_id=hold["patron"], hold=hold["id"], stage="expired"
                )
            expired += 1
            if device is None:
                continue
            placed = await move_on(ACTOR, now, device, processed=True)
            if placed.hold is None:
                shelved += 1
            else:
                passed_on += 1
    return HoldExpiry(expired=expired, passed_to_next=passed_on, back_on_shelf=shelved)
