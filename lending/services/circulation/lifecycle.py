"""Moving a device to its next place: load the facts `next_place` needs, ask it, then apply the
answer. The one place that writes where a device goes after a loan, a repair, return to
service or the hold shelf. Everything runs inside the caller's transaction, which holds the
device's row lock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...circulation.lifecycle import DeviceStatus, NextPlace, PlaceFacts, next_place
from ...tables import Device
from .._common.rows import Row
from ..actors import Actor
from .holds import fill_hold, first_waiting_hold

__all__ = ["Placed", "apply_next_place", "decide_next_place", "move_on"]


@dataclass(frozen=True)
class Placed:
    place: NextPlace
    hold: Row | None = None  # the hold the device now fills (hold shelf)
    repair: Row | None = None  # the maintenance record opened (repair)
    reservation: Row | None = None  # the reservation it is now set aside for


async def decide_next_place(
    device: Row,
    now: datetime,
    *,
    damaged: bool = False,
    retire: bool = False,
    processed: bool = False,
) -> tuple[NextPlace, Row | None]:
    """The device's next place and, when it goes to the hold shelf, the (locked) hold it fills.
    `processed`: its return-to-service steps are done (or it never left the shelves since).
    Facts are loaded only as far as the decision needs them: a damaged device locks no hold,
    one going through return to service leaves the waiting hold for when it is done, and one
    set aside for a reservation reads no hold."""
    from ..inventory.processing import kind_has_steps
    from ..reservations.shelf import unit_for_device

    hold = None
    unit = None
    needs_processing = False
    if not (damaged or retire):
        needs_processing = not processed and await kind_has_steps(device["kind"])
        if not needs_processing:
            unit = await unit_for_device(device, now)
            if unit is None:
                hold = await first_waiting_hold(device)
    facts = PlaceFacts(
        damaged=damaged,
        retire=retire,
        needs_processing=needs_processing,
        waiting_hold=hold["id"] if hold else None,
        reservation_unit=unit,
    )
    return next_place(facts), hold


async def apply_next_place(
    actor: Actor,
    now: datetime,
    device: Row,
    place: NextPlace,
    hold: Row | None,
    *,
    loan_id: int | None = None,
    problem: str = "",
    also: dict[Any, Any] | None = None,
) -> Placed:
    """Write `place`: fill the hold, open a repair (with `problem`), start return to service
    (for `loan_id`'s return), or set the status. `also` are further device columns written in
    the same statement (a checkin's sighting)."""
    from ..inventory.maintenance import send_to_repair
    from ..inventory.processing import start_processing
    from ..reservations.shelf import set_aside_device

    if place.status is DeviceStatus.IN_REPAIR:
        repair = await send_to_repair(actor, now, device, problem, 0)
        if also:
            await Device.update(also).where(Device.id == device["id"])
        return Placed(place, repair=repair)
    if place.status is DeviceStatus.SET_ASIDE:
        assert place.unit_id is not None
        reservation = await set_aside_device(actor, now, device, place.unit_id, also=also)
        return Placed(place, reservation=reservation)
    if place.status is DeviceStatus.ON_HOLD_SHELF:
        assert hold is not None and hold["id"] == place.hold_id
        return Placed(place, hold=await fill_hold(actor, now, device, hold, also))
    await Device.update(
        {Device.status: place.status.value, Device.updated_at: now, **(also or {})}
    ).where(Device.id == device["id"])
    if place.starts_processing:
        await start_processing(device["id"], loan_id, now)
    return Placed(place)


async def move_on(
    actor: Actor,
    now: datetime,
    device: Row,
    *,
    damaged: bool = False,
    retire: bool = False,
    processed: bool = False,
    loan_id: int | None = None,
    problem: str = "",
    also: dict[Any, Any] | None = None,
) -> Placed:
    """Decide the device's next place and apply it."""
    place, hold = await decide_next_place(
        device, now, damaged=damaged, retire=retire, processed=processed
    )
    return await apply_next_place(
        actor, now, device, place, hold, loan_id=loan_id, problem=problem, also=also
    )
