"""The device lifecycle: the statuses a device can be in, and the one decision of where a device
goes next when it leaves a loan, a repair, return to service or the hold shelf.

Services load the facts (taking the locks), ask `next_place`, then apply the answer in one
place (`lending.services.circulation.lifecycle.apply_next_place`). Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "OPEN_HOLD_STATUSES",
    "TRANSFERABLE",
    "DeviceStatus",
    "HoldStatus",
    "LoanState",
    "LoanStatus",
    "NextPlace",
    "PlaceFacts",
    "next_place",
]


class DeviceStatus(StrEnum):
    AVAILABLE = "available"
    ON_LOAN = "on_loan"
    ON_HOLD_SHELF = "on_hold_shelf"
    SET_ASIDE = "set_aside"  # pulled for a reservation (circulation/reservations.py)
    IN_TRANSIT = "in_transit"  # sent to another service point, not yet received there
    IN_PROCESSING = "in_processing"
    IN_REPAIR = "in_repair"
    LOST = "lost"
    RETIRED = "retired"


class LoanStatus(StrEnum):
    """A loan's stored status. `overdue` is never stored: it is derived from `now`
    (rules.is_overdue), so a list filtered by `active` leaves overdue loans out."""

    ACTIVE = "active"
    RETURNED = "returned"
    LOST = "lost"


class LoanState(StrEnum):
    """A loan as staff and residents see it: its stored status, or `overdue` for an active
    loan past its due date (derived from `now`, never stored)."""

    ACTIVE = "active"
    OVERDUE = "overdue"
    RETURNED = "returned"
    LOST = "lost"


class HoldStatus(StrEnum):
    WAITING = "waiting"  # in the queue for its kind at its branch
    READY = "ready"  # a device waits on the hold shelf until `ready_until`
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


OPEN_HOLD_STATUSES = (HoldStatus.WAITING.value, HoldStatus.READY.value)

# A device may be sent to another service point only from the shelf: one on loan, on the hold
# shelf, in return to service or in repair finishes that first. On receipt its next place is
# `next_place` with the destination's waiting hold.
TRANSFERABLE = frozenset({DeviceStatus.AVAILABLE})


@dataclass(frozen=True)
class PlaceFacts:
    """What decides a device's next place. `waiting_hold` is the first waiting hold of the
    device's kind at its branch (None: nobody waits); `needs_processing` says the kind has
    return-to-service steps still to do (a laptop is wiped before anyone else gets it)."""

    damaged: bool = False  # reported damaged: it goes to repair, no hold is filled
    retire: bool = False  # a repair found it beyond repair
    needs_processing: bool = False
    waiting_hold: int | None = None
    # A unit of a reservation in its set-aside time that still needs a device of the kind.
    reservation_unit: int | None = None


@dataclass(frozen=True)
class NextPlace:
    status: DeviceStatus
    hold_id: int | None = None  # the hold the device fills (only on the hold shelf)
    unit_id: int | None = None  # the reservation unit it is set aside for (only set aside)

    @property
    def starts_processing(self) -> bool:
        return self.status is DeviceStatus.IN_PROCESSING


def next_place(facts: PlaceFacts) -> NextPlace:
    """Where a device goes next, in this order: retired when beyond repair; to repair when
    damaged; through return to service when its kind has steps (the waiting hold is filled
    when the last step is done); set aside for a reservation about to start that still needs
    one (booked ahead, so before the walk-up waitlist); to the hold shelf for the first waiting
    patron; else back on the shelf."""
    if facts.retire:
        return NextPlace(DeviceStatus.RETIRED)
    if facts.damaged:
        return NextPlace(DeviceStatus.IN_REPAIR)
    if facts.needs_processing:
        return NextPlace(DeviceStatus.IN_PROCESSING)
    if facts.reservation_unit is not None:
        return NextPlace(DeviceStatus.SET_ASIDE, unit_id=facts.reservation_unit)
    if facts.waiting_hold is not None:
        return NextPlace(DeviceStatus.ON_HOLD_SHELF, facts.waiting_hold)
    return NextPlace(DeviceStatus.AVAILABLE)
