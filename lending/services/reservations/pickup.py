"""Handing a reservation's devices out to its event (one loan per device, due at the window's
end, to the responsible patron if one) and their return at checkin."""

from __future__ import annotations

from datetime import datetime

from ...circulation import Conflict, DeviceStatus, LoanStatus, NotFound
from ...circulation.codes import Code
from ...circulation.reservations import ReservationStatus, UnitStatus, transition_refusal
from ...database import retry_on_conflict, write_transaction
from ...schemas.reservations import PickupReply
from ...tables import Device, Loan, Reservation, ReservationUnit, ServicePoint
from .._common import audit
from .._common.render import local_time
from .._common.rows import Row
from .._common.sql import for_update
from ..actors import Actor
from ..circulation.loans import loan_rows, loan_view
from ..inventory.kits import send_out_parts
from .booking import _locked_reservation
from .views import reservation_view

__all__ = ["pick_up", "unit_returned"]


async def _unit_for(reservation: Row, device: Row) -> tuple[Row, Row | None]:
    """The unit this device is lent under, and the device set aside for it that stays behind
    (a clerk may hand out any free device of the kind in place of one set aside)."""
    units = (
        await ReservationUnit.select()
        .where(
            (ReservationUnit.reservation == reservation["id"])
            & ReservationUnit.status.is_in([UnitStatus.BOOKED.value, UnitStatus.SET_ASIDE.value])
        )
        .order_by(ReservationUnit.id)
    )
    for unit in units:
        if unit["device"] == device["id"]:
            return unit, None
    if device["status"] != DeviceStatus.AVAILABLE:
        raise Conflict(
            f"Device {device['barcode']} is not free to hand out "
            f"({device['status'].replace('_', ' ')}).",
            Code.DEVICE_RESERVED
            if device["status"] == DeviceStatus.SET_ASIDE
            else Code.DEVICE_NOT_FOR_RESERVATION,
            facts={"device": device["barcode"], "status": device["status"]},
        )
    # In place of: a unit with no device yet, then one whose device is not here, then one set
    # aside (that device goes back).
    for wanted in ("empty", "booked", "set_aside"):
        for unit in units:
            if wanted == "empty" and unit["device"] is None:
                return unit, None
            if wanted == "booked" and unit["status"] == UnitStatus.BOOKED:
                return unit, None
            if wanted == "set_aside" and unit["status"] == UnitStatus.SET_ASIDE:
                left = await for_update(Device.select().where(Device.id == unit["device"])).first()
                return unit, left
    raise Conflict(
        f"Every device reservation {reservation['id']} booked is already handed out.",
        Code.RESERVATION_COMPLETE,
    )


@retry_on_conflict
async def pick_up(
    actor: Actor, now: datetime, reservation_id: int, barcodes: list[str]
) -> PickupReply:
    """Lend the scanned devices to the reservation's event, all or none: from its set-aside time
    until its end, devices of its kind and branch, each set aside for it or free."""
    from ..circulation.lifecycle import move_on

    async with write_transaction():
        reservation = await _locked_reservation(actor, reservation_id)
        refusal = transition_refusal(reservation["status"], "pick_up", reservation_id)
        if refusal is not None:
            raise refusal.error()
        if not (reservation["set_aside_at"] <= now < reservation["ends_at"]):
            point = (
                await ServicePoint.select(
                    ServicePoint.timezone, ServicePoint.branch.timezone.as_alias("branch_tz")
                )
                .where(ServicePoint.id == reservation["service_point"])
                .first()
            )
            tz = point["timezone"] or point["branch_tz"]
            starts = local_time(reservation["set_aside_at"], tz)
            ends = local_time(reservation["ends_at"], tz)
            raise Conflict(
                f"Reservation {reservation_id}'s devices are handed out from "
                f"{starts:%Y-%m-%d %H:%M} until {ends:%Y-%m-%d %H:%M} ({tz}).",
                Code.RESERVATION_NOT_STARTED,
                facts={"from": starts.isoformat(), "until": ends.isoformat()},
            )
        if len(set(barcodes)) != len(barcodes):
            raise Conflict("A device was scanned twice.", Code.DEVICE_NOT_FOR_RESERVATION)
        loan_ids = []
        for barcode in barcodes:
            device = await for_update(Device.select().where(Device.barcode == barcode)).first()
            if device is None:
                raise NotFound(f"No device with barcode {barcode!r}.", Code.DEVICE_NOT_FOUND)
            if device["kind"] != reservation["kind"] or device["branch"] != reservation["branch"]:
                raise Conflict(
                    f"Device {barcode} is not a {reservation['kind']} of this reservation's "
                    "branch.",
                    Code.DEVICE_NOT_FOR_RESERVATION,
                    facts={"device": barcode},
                )
            unit, left = await _unit_for(reservation, device)
            if device["status"] not in (DeviceStatus.AVAILABLE, DeviceStatus.SET_ASIDE):
                raise Conflict(
                    f"Device {barcode} is {device['status'].replace('_', ' ')}.",
                    Code.DEVICE_NOT_FOR_RESERVATION,
                    facts={"device": barcode, "status": device["status"]},
                )
            inserted = await Loan.insert(
                Loan(
                    device=device["id"],
                    patron=reservation["patron"],
                    branch=device["branch"],
                    kind=device["kind"],
                    household=None,
                    checked_out_at=now,
                    due_at=reservation["ends_at"],
                    renewals=0,
                    status=LoanStatus.ACTIVE,
                    checked_out_by=actor.name,
                    service_point=reservation["service_point"],
                    reservation=reservation_id,
                )
            ).returning(Loan.id)
            loan_id = inserted[0]["id"]
            loan_ids.append(loan_id)
            await Device.update(
                {Device.status: DeviceStatus.ON_LOAN, Device.updated_at: now}
            ).where(Device.id == device["id"])
            await ReservationUnit.update(
                {
                    ReservationUnit.device: device["id"],
                    ReservationUnit.status: UnitStatus.OUT,
                    ReservationUnit.loan: loan_id,
                }
            ).where(ReservationUnit.id == unit["id"])
            parts = await send_out_parts(loan_id, device["id"])
            await audit.record(
                actor,
                "checkout",
                barcode,
                now,
                {
                    "loan": loan_id,
                    "kind": device["kind"],
                    "due_at": reservation["ends_at"].isoformat(),
                    "reservation": reservation_id,
                    **({"parts_out": parts} if parts else {}),
                },
                loan=loan_id,
            )
            if left is not None and left["status"] == DeviceStatus.SET_ASIDE:
                await move_on(actor, now, left, processed=True)
        await Reservation.update({Reservation.status: ReservationStatus.PICKED_UP}).where(
            Reservation.id == reservation_id
        )
        rows = await loan_rows(Loan.id.is_in(loan_ids))
        return PickupReply(
            reservation=await reservation_view(reservation_id),
            loans=[loan_view(row, now) for row in reversed(rows)],
        )


async def unit_returned(actor: Actor, now: datetime, loan_id: int, reservation_id: int) -> None:
    """A device lent to an event came back (inside the checkin's transaction): when none is out
    any more and the window is over or nothing else is set aside, the reservation is returned."""
    await ReservationUnit.update({ReservationUnit.status: UnitStatus.RETURNED}).where(
        ReservationUnit.loan == loan_id
    )
    units = await ReservationUnit.select(ReservationUnit.status).where(
        ReservationUnit.reservation == reservation_id
    )
    still = {UnitStatus.OUT.value, UnitStatus.SET_ASIDE.value, UnitStatus.BOOKED.value}
    if any(u["status"] in still for u in units):
        return
    updated = (
        await Reservation.update(
            {Reservation.status: ReservationStatus.RETURNED, Reservation.closed_at: now}
        )
        .where(
            (Reservation.id == reservation_id) & (Reservation.status == ReservationStatus.PICKED_UP)
        )
        .returning(Reservation.id)
    )
    if updated:
        await audit.record(
            actor,
            "reservation_returned",
            f"reservation:{reservation_id}",
            now,
            {"reservation": reservation_id},
        )
