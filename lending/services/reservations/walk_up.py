"""Walk-up loans beside reservations: a checkout or renewal whose due date would take a device
that a reservation needs is shortened to the reservation's start minus the buffer, or refused
when that leaves too little (circulation.reservations.capped_due_at). Inside the checkout's or
renewal's transaction, after it locked the device or loan (a booking locks both first)."""

from __future__ import annotations

from datetime import datetime

from ...circulation import Refusal
from ...circulation.reservations import MIN_WALK_UP, WalkUpDue, capped_due_at
from ...tables import Reservation
from .pool import has_reservations, named_bookings, pool_facts, rule_for

__all__ = ["event_of", "walk_up_due"]


async def walk_up_due(
    kind: str,
    branch_id: int,
    device_id: int,
    now: datetime,
    due_at: datetime,
    *,
    current_due: datetime | None = None,
) -> WalkUpDue:
    """The due date for lending `device_id` until `due_at` (`current_due`: a renewal of a loan
    due then, which must gain at least an hour); raises the refusal."""
    if not await has_reservations(kind, branch_id, now):
        return WalkUpDue(due_at)
    rule = await rule_for(kind)
    end = max(due_at, now) + rule.buffer
    facts = await pool_facts(rule, branch_id, now, now, end, without_device=device_id)
    decision = capped_due_at(
        rule,
        now,
        due_at,
        pool=facts.pool,
        bookings=facts.bookings,
        device=device_id,
        named=await named_bookings(device_id, now),
        earliest=current_due + MIN_WALK_UP if current_due is not None else None,
    )
    if isinstance(decision, Refusal):
        raise decision.error()
    return decision


async def event_of(reservation_id: int) -> str:
    row = (
        await Reservation.select(Reservation.event).where(Reservation.id == reservation_id).first()
    )
    return row["event"] if row else ""
