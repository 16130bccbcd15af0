"""Reservations: devices booked for a time window at a service point (a cart of laptops for a
class, a kit for a workshop), and how they live beside walk-up loans. Standard library only.

A kind's pool is its devices at the branch that are not lost, retired or in repair. Everything
that takes a device for a while is a `Booking` of the pool: an open loan until its due date (an
overdue one until now), a device on the hold shelf until the hold's pickup deadline, and a
reservation from its start until its end plus the kind's buffer (charging, reimaging). The pool
is enough when, at every moment of a window, the bookings then in force do not outnumber it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from .codes import Code
from .rules import Refusal

__all__ = [
    "CAPACITY_STATUSES",
    "OPEN_RESERVATION_STATUSES",
    "Booking",
    "ReservationRule",
    "ReservationStatus",
    "Step",
    "UnitStatus",
    "WalkUpDue",
    "booking_refusal",
    "capped_due_at",
    "fewest_free",
    "fewest_free_in",
    "first_shortfall",
    "free_steps",
    "transition_refusal",
]

# A walk-up loan shortened to less than this before a reservation is refused instead.
MIN_WALK_UP = timedelta(hours=1)


class ReservationStatus(StrEnum):
    REQUESTED = "requested"  # made by partner staff: holds its devices until staff confirm
    CONFIRMED = "confirmed"
    READY = "ready"  # every device is set aside
    PICKED_UP = "picked_up"  # lent to the event (one loan per device, due at the window's end)
    RETURNED = "returned"  # every device lent to the event is back
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"  # nothing was picked up in time: cancelled automatically


# Not yet picked up: the devices are promised.
OPEN_RESERVATION_STATUSES = (
    ReservationStatus.REQUESTED.value,
    ReservationStatus.CONFIRMED.value,
    ReservationStatus.READY.value,
)
# What counts against the pool: the open ones, and a picked-up one's units not lent (yet).
CAPACITY_STATUSES = (*OPEN_RESERVATION_STATUSES, ReservationStatus.PICKED_UP.value)

_NEXT: dict[str, tuple[str, ...]] = {
    "confirm": (ReservationStatus.REQUESTED,),
    "cancel": (ReservationStatus.REQUESTED, ReservationStatus.CONFIRMED, ReservationStatus.READY),
    "set_aside": (ReservationStatus.CONFIRMED, ReservationStatus.READY),
    "pick_up": (ReservationStatus.CONFIRMED, ReservationStatus.READY, ReservationStatus.PICKED_UP),
}
_DONE = {
    "confirm": "confirmed",
    "cancel": "cancelled",
    "set_aside": "set aside",
    "pick_up": "picked up",
}


class UnitStatus(StrEnum):
    """One device's place in a reservation: booked (a named device, or any of the kind when
    `device` is empty), set aside, lent to the event, back, or released (cancelled, no-show,
    or not taken by the end of the window)."""

    BOOKED = "booked"
    SET_ASIDE = "set_aside"
    OUT = "out"
    RETURNED = "returned"
    RELEASED = "released"


@dataclass(frozen=True)
class ReservationRule:
    """A kind's reservation rules (admin-set; these defaults until then)."""

    kind: str
    lead_time_hours: int = 24  # booked at least this long before the start
    max_length_hours: int = 72  # the longest window
    buffer_minutes: int = 60  # after each return, before the device is lent again
    set_aside_hours: int = 24  # devices are pulled and set aside this long before the start
    auto_cancel_minutes: int = 30  # a no-show when nothing is picked up this long after it

    @property
    def buffer(self) -> timedelta:
        return timedelta(minutes=self.buffer_minutes)

    def set_aside_at(self, starts_at: datetime) -> datetime:
        return starts_at - timedelta(hours=self.set_aside_hours)

    def no_show_at(self, starts_at: datetime) -> datetime:
        return starts_at + timedelta(minutes=self.auto_cancel_minutes)


@dataclass(frozen=True)
class Booking:
    """`quantity` devices of the pool taken from `starts_at` until `free_at` (exclusive)."""

    starts_at: datetime
    free_at: datetime
    quantity: int = 1
    reservation: int | None = None  # the reservation it is, if one
    device: int | None = None  # the device it is, if known (a loan, a hold shelf device)


@dataclass(frozen=True)
class Step:
    """From `starts_at` until `ends_at`, `free` devices of the pool are not booked."""

    starts_at: datetime
    ends_at: datetime
    free: int


def free_steps(
    pool: int, bookings: Iterable[Booking], start: datetime, end: datetime
) -> list[Step]:
    """How many devices of the pool are free over [start, end), as steps (a sweep over the
    bookings' starts and ends: O(n log n))."""
    changes: dict[datetime, int] = {start: 0}
    for b in bookings:
        if b.free_at <= start or b.starts_at >= end or b.quantity <= 0:
            continue
        changes[max(b.starts_at, start)] = changes.get(max(b.starts_at, start), 0) + b.quantity
        if b.free_at < end:
            changes[b.free_at] = changes.get(b.free_at, 0) - b.quantity
    times = sorted(changes)
    steps: list[Step] = []
    booked = 0
    for i, moment in enumerate(times):
        booked += changes[moment]
        until = times[i + 1] if i + 1 < len(times) else end
        if steps and steps[-1].free == pool - booked:
            steps[-1] = Step(steps[-1].starts_at, until, pool - booked)
        else:
            steps.append(Step(moment, until, pool - booked))
    return steps


def fewest_free_in(
    steps: Sequence[Step], windows: Sequence[tuple[datetime, datetime]]
) -> list[int | None]:
    """The fewest free devices in each window (sorted, as the calendar's days) over `steps` (as
    `free_steps` gives them: sorted and contiguous); None for a window no step covers. One pass
    over both lists."""
    out: list[int | None] = []
    first = 0
    for window_start, window_end in windows:
        while first < len(steps) and steps[first].ends_at <= window_start:
            first += 1
        fewest = None
        at = first
        while at < len(steps) and steps[at].starts_at < window_end:
            free = steps[at].free
            fewest = free if fewest is None or free < fewest else fewest
            at += 1
        out.append(fewest)
    return out


def fewest_free(pool: int, bookings: Iterable[Booking], start: datetime, end: datetime) -> int:
    return min(step.free for step in free_steps(pool, bookings, start, end))


def first_shortfall(
    pool: int, bookings: Iterable[Booking], start: datetime, end: datetime
) -> datetime | None:
    """The first moment in [start, end) when the bookings outnumber the pool, or None."""
    for step in free_steps(pool, bookings, start, end):
        if step.free < 0:
            return step.starts_at
    return None


def transition_refusal(status: str, act: str, reservation_id: int) -> Refusal | None:
    """Why a reservation in `status` cannot be confirmed, cancelled, set aside or picked up."""
    if status in _NEXT[act]:
        return None
    return Refusal(
        Code.RESERVATION_NOT_OPEN,
        f"Reservation {reservation_id} is {status.replace('_', ' ')}: it cannot be {_DONE[act]}.",
        {"status": status, "act": act},
    )


def booking_refusal(
    rule: ReservationRule,
    now: datetime,
    starts_at: datetime,
    ends_at: datetime,
    *,
    quantity: int,
    pool: int,
    bookings: Sequence[Booking],
) -> Refusal | None:
    """Why `quantity` devices of `rule.kind` cannot be booked for [starts_at, ends_at), or None:
    too soon for the lead time, longer than the kind allows, or more than the pool has free at
    some moment of the window (its buffer included)."""
    if starts_at - now < timedelta(hours=rule.lead_time_hours):
        return Refusal(
            Code.RESERVATION_LEAD_TIME,
            f"A {rule.kind} reservation must be made at least {rule.lead_time_hours} hours "
            "before it starts.",
            {"lead_time_hours": rule.lead_time_hours},
        )
    if ends_at - starts_at > timedelta(hours=rule.max_length_hours):
        return Refusal(
            Code.RESERVATION_TOO_LONG,
            f"A {rule.kind} reservation may last at most {rule.max_length_hours} hours.",
            {"max_length_hours": rule.max_length_hours},
        )
    wanted = Booking(starts_at, ends_at + rule.buffer, quantity)
    free = fewest_free(pool, bookings, starts_at, ends_at + rule.buffer)
    if free < quantity:
        return Refusal(
            Code.RESERVATION_UNAVAILABLE,
            f"Only {max(free, 0)} {rule.kind} device(s) are free for that whole time; "
            f"{quantity} were asked for.",
            {"free": max(free, 0), "asked": wanted.quantity, "pool": pool},
        )
    return None


@dataclass(frozen=True)
class WalkUpDue:
    """A walk-up loan's due date: as the policy has it, or shortened so that the device is back
    (with the buffer) before `reservation` starts at `reservation_starts_at`."""

    due_at: datetime
    reservation: int | None = None
    reservation_starts_at: datetime | None = None

    @property
    def shortened(self) -> bool:
        return self.reservation is not None


def capped_due_at(
    rule: ReservationRule,
    now: datetime,
    due_at: datetime,
    *,
    pool: int,
    bookings: Sequence[Booking],
    device: int,
    named: Sequence[Booking] = (),
    earliest: datetime | None = None,
) -> WalkUpDue | Refusal:
    """The due date of lending `device` from now until `due_at` (a checkout, or a renewal to
    `due_at`) beside the reservations: as asked when the pool still covers every reservation;
    else shortened to the first reservation it would leave short, minus the buffer; refused when
    that is sooner than `earliest` (a renewal: the current due date) or than an hour from now.
    `bookings` leave out this device's own loan; `named` are the reservations that name this
    very device."""
    floor = earliest if earliest is not None else now + MIN_WALK_UP
    loan = Booking(now, max(due_at, now) + rule.buffer, 1, device=device)
    short_at = first_shortfall(pool, [*bookings, loan], now, loan.free_at)
    starts = [b for b in bookings if b.reservation is not None and b.starts_at == short_at]
    mine = sorted(
        (b for b in named if b.starts_at < loan.free_at and b.free_at > now),
        key=lambda b: b.starts_at,
    )
    blocking = None
    if mine and (short_at is None or mine[0].starts_at < short_at):
        blocking = mine[0]
    elif short_at is not None:
        blocking = starts[0] if starts else Booking(short_at, short_at)
    if blocking is None:
        return WalkUpDue(due_at)
    capped = blocking.starts_at - rule.buffer
    if capped < floor:
        return Refusal(
            Code.DEVICE_RESERVED,
            f"This {rule.kind} is needed for a reservation starting "
            f"{blocking.starts_at.isoformat()}; no other one is free for it.",
            {"reservation": blocking.reservation, "starts_at": blocking.starts_at.isoformat()},
        )
    return WalkUpDue(capped, blocking.reservation, blocking.starts_at)
