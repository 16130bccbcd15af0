"""Setting devices aside for a reservation and letting them go again.

From its set-aside time a confirmed reservation gets a device for each of its units: a named
device when it is on the shelf; another free device of the kind in place of a named one that
is overdue, out past the start, on someone's hold shelf, in repair, lost or retired (and staff
are told, on the reservation and the pull list, when no other is free); any free device for a
unit of "any of the kind". A device that comes back while a unit still needs one is set aside
by its next place (circulation/lifecycle.py). Everything runs inside the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...circulation import DeviceStatus, LoanStatus, is_overdue
from ...circulation.reservations import ReservationStatus, UnitStatus
from ...database import is_postgres
from ...tables import Device, Loan, Reservation, ReservationUnit
from .._common import audit
from .._common.rows import Row
from .._common.sql import for_update
from ..actors import Actor
from .pool import rule_for

__all__ = ["fill_units", "release_units", "set_aside_device", "unit_for_device"]

SETTLED = (UnitStatus.OUT.value, UnitStatus.RETURNED.value, UnitStatus.RELEASED.value)
# A named device in these places may still come back in time: wait for it.
_WAIT = (DeviceStatus.IN_PROCESSING.value, DeviceStatus.IN_TRANSIT.value)


async def unit_for_device(device: Row, now: datetime) -> int | None:
    """A unit that this device, coming back to the shelf, should be set aside for: of a
    reservation of its kind at its branch in its set-aside time, still without a device (or
    naming this one). A fact for `next_place`."""
    rows = await ReservationUnit.select(
        ReservationUnit.id, ReservationUnit.device, ReservationUnit.reservation.starts_at
    ).where(
        (ReservationUnit.status == UnitStatus.BOOKED)
        & (ReservationUnit.device.is_null() | (ReservationUnit.device == device["id"]))
        & (ReservationUnit.reservation.kind == device["kind"])
        & (ReservationUnit.reservation.branch == device["branch"])
        & ReservationUnit.reservation.status.is_in(
            [ReservationStatus.CONFIRMED.value, ReservationStatus.READY.value]
        )
        & (ReservationUnit.reservation.set_aside_at <= now)
        & (ReservationUnit.reservation.ends_at > now)
    )
    if not rows:
        return None
    rows.sort(key=lambda r: (r["device"] != device["id"], r["reservation.starts_at"], r["id"]))
    return rows[0]["id"]


async def set_aside_device(
    actor: Actor,
    now: datetime,
    device: Row,
    unit_id: int,
    *,
    note: str | None = None,
    also: dict[Any, Any] | None = None,
) -> Row:
    """Set `device` aside for the unit; the reservation is ready when every unit has one.
    Returns the reservation row."""
    values: dict[Any, Any] = {
        ReservationUnit.device: device["id"],
        ReservationUnit.status: UnitStatus.SET_ASIDE,
    }
    if note is not None:
        values[ReservationUnit.note] = note
    await ReservationUnit.update(values).where(ReservationUnit.id == unit_id)
    await Device.update(
        {Device.status: DeviceStatus.SET_ASIDE, Device.updated_at: now, **(also or {})}
    ).where(Device.id == device["id"])
    unit = (
        await ReservationUnit.select(ReservationUnit.reservation)
        .where(ReservationUnit.id == unit_id)
        .first()
    )
    reservation = await _settle_status(now, unit["reservation"])
    await audit.record(
        actor,
        "reservation_set_aside",
        device["barcode"],
        now,
        {"reservation": reservation["id"], "unit": unit_id, "event": reservation["event"]},
    )
    return reservation


async def _settle_status(now: datetime, reservation_id: int) -> Row:
    """Ready when every unit not yet lent has a device set aside, else confirmed; `short` is
    how many units still have none."""
    reservation = (
        await Reservation.select(
            Reservation.all_columns(), Reservation.service_point.code.as_alias("point_code")
        )
        .where(Reservation.id == reservation_id)
        .first()
    )
    units = await ReservationUnit.select(ReservationUnit.status).where(
        ReservationUnit.reservation == reservation_id
    )
    booked = sum(1 for u in units if u["status"] == UnitStatus.BOOKED)
    status = reservation["status"]
    if status in (ReservationStatus.CONFIRMED, ReservationStatus.READY):
        status = ReservationStatus.READY if booked == 0 else ReservationStatus.CONFIRMED
    short = booked if now >= reservation["set_aside_at"] else 0
    if status != reservation["status"] or short != reservation["short"]:
        await Reservation.update({Reservation.status: status, Reservation.short: short}).where(
            Reservation.id == reservation_id
        )
        reservation = {**reservation, "status": status, "short": short}
    return reservation


async def _free_device(reservation: Row, barcode: str | None = None) -> Row | None:
    """A device of the kind on the shelf at the branch that no other open reservation named
    for an overlapping time; those at the reservation's service point first. PostgreSQL skips
    devices another transaction has locked."""
    query = Device.select().where(
        (Device.kind == reservation["kind"])
        & (Device.branch == reservation["branch"])
        & (Device.status == DeviceStatus.AVAILABLE)
    )
    if barcode is not None:
        query = query.where(Device.barcode == barcode)
    if is_postgres():
        query = query.lock_rows(skip_locked=True, of=(Device,))
    candidates = await query.order_by(Device.barcode).limit(200)
    if not candidates:
        return None
    promised = await ReservationUnit.select(ReservationUnit.device).where(
        ReservationUnit.device.is_in([d["id"] for d in candidates])
        & (ReservationUnit.status == UnitStatus.BOOKED)
        & (ReservationUnit.reservation != reservation["id"])
        & ReservationUnit.reservation.status.is_in(
            [ReservationStatus.REQUESTED.value, ReservationStatus.CONFIRMED.value]
        )
        & (ReservationUnit.reservation.starts_at < reservation["free_at"])
        & (ReservationUnit.reservation.free_at > reservation["starts_at"])
    )
    taken = {p["device"] for p in promised}
    free = [d for d in candidates if d["id"] not in taken]
    free.sort(key=lambda d: d["current_point"] != reservation["service_point"])
    return free[0] if free else None


async def _why_not_ready(device: Row, reservation: Row, now: datetime, buffer: Any) -> str | None:
    """Why a named device cannot be set aside now and will not be in time (None: it can be,
    or it may still come back in time)."""
    status = device["status"]
    if status in (DeviceStatus.AVAILABLE, DeviceStatus.SET_ASIDE) or status in _WAIT:
        return None
    if status == DeviceStatus.ON_LOAN:
        loan = (
            await Loan.select(Loan.due_at, Loan.status)
            .where((Loan.device == device["id"]) & Loan.returned_at.is_null())
            .first()
        )
        if loan is None or loan["status"] != LoanStatus.ACTIVE:
            return "lost"
        if is_overdue(loan["due_at"], now):
            return "overdue"
        if loan["due_at"] + buffer > reservation["starts_at"]:
            return "out past the start"
        return None
    return status.replace("_", " ")


async def fill_units(
    actor: Actor, now: datetime, reservation_id: int, barcodes: list[str] | None = None
) -> Row:
    """Give every unit of the reservation a device set aside, as far as the shelf allows
    (`barcodes`: devices staff scanned for it, used first). Returns the reservation row."""
    reservation = await for_update(
        Reservation.select().where(Reservation.id == reservation_id)
    ).first()
    rule = await rule_for(reservation["kind"])
    units = (
        await ReservationUnit.select(
            ReservationUnit.all_columns(),
            ReservationUnit.device.barcode.as_alias("barcode"),
        )
        .where(
            (ReservationUnit.reservation == reservation_id) & ReservationUnit.status.not_in(SETTLED)
        )
        .order_by(ReservationUnit.id)
    )
    scanned = list(barcodes or [])
    short_before = reservation["short"]
    for unit in units:
        device = None
        if unit["device"] is not None:
            device = await for_update(Device.select().where(Device.id == unit["device"])).first()
        if unit["status"] == UnitStatus.SET_ASIDE:
            if device is not None and device["status"] == DeviceStatus.SET_ASIDE:
                continue
            # It left the shelf meanwhile (sent to repair, marked lost): find another.
            reason = device["status"].replace("_", " ") if device else "gone"
            await ReservationUnit.update({ReservationUnit.status: UnitStatus.BOOKED}).where(
                ReservationUnit.id == unit["id"]
            )
            await _replace(actor, now, reservation, unit, device, reason)
            continue
        if device is not None:
            reason = await _why_not_ready(device, reservation, now, rule.buffer)
            if reason is None:
                if device["status"] == DeviceStatus.AVAILABLE:
                    await set_aside_device(actor, now, device, unit["id"])
                continue
            await _replace(actor, now, reservation, unit, device, reason)
            continue
        chosen = None
        while scanned and chosen is None:
            chosen = await _free_device(reservation, scanned.pop(0))
        if chosen is None:
            chosen = await _free_device(reservation)
        if chosen is not None:
            await set_aside_device(actor, now, chosen, unit["id"])
    reservation = await _settle_status(now, reservation_id)
    if reservation["short"] > short_before:
        await audit.record(
            actor,
            "reservation_short",
            f"reservation:{reservation_id}",
            now,
            {"reservation": reservation_id, "short": reservation["short"]},
        )
    return reservation


async def _replace(
    actor: Actor, now: datetime, reservation: Row, unit: Row, device: Row | None, reason: str
) -> None:
    """Another free device for a unit whose device will not be there; when none is free, the
    unit keeps waiting and says why (the reservation counts it `short`)."""
    old = device["barcode"] if device else "its device"
    other = await _free_device(reservation)
    if other is None:
        # Any device of the kind that comes back now will do (next_place sets it aside).
        note = f"{old} is {reason}; no other {reservation['kind']} is free"
        await ReservationUnit.update(
            {ReservationUnit.note: note, ReservationUnit.device: None}
        ).where(ReservationUnit.id == unit["id"])
        return
    note = f"replaces {old} ({reason})"
    await set_aside_device(actor, now, other, unit["id"], note=note)
    await audit.record(
        actor,
        "reservation_unit_replaced",
        other["barcode"],
        now,
        {"reservation": reservation["id"], "unit": unit["id"], "replaces": old, "why": reason},
    )


async def release_units(actor: Actor, now: datetime, reservation_id: int, reason: str) -> int:
    """Units not lent go: their set-aside devices move on to their next place (another
    reservation, the hold shelf, the shelf). Returns how many devices were released."""
    from ..circulation.lifecycle import move_on

    units = await ReservationUnit.select(ReservationUnit.id, ReservationUnit.device).where(
        (ReservationUnit.reservation == reservation_id)
        & ReservationUnit.status.is_in([UnitStatus.BOOKED.value, UnitStatus.SET_ASIDE.value])
    )
    if not units:
        return 0
    await ReservationUnit.update({ReservationUnit.status: UnitStatus.RELEASED}).where(
        ReservationUnit.id.is_in([u["id"] for u in units])
    )
    released = 0
    for unit in units:
        if unit["device"] is None:
            continue
        device = await for_update(Device.select().where(Device.id == unit["device"])).first()
        if device is None or device["status"] != DeviceStatus.SET_ASIDE:
            continue
        await audit.record(
            actor,
            "reservation_released",
            device["barcode"],
            now,
            {"reservation": reservation_id, "reason": reason},
        )
        await move_on(actor, now, device, processed=True)
        released += 1
    return released
