"""Moving devices between service points: send one (it is `in_transit`, with where to), and
receive it by a scan at the destination, where it goes to its next place (`next_place`: the
destination's first waiting hold of its kind, else the shelf). A device is at its branch's own
desk until a transfer moves it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...circulation import (
    TRANSFERABLE,
    Conflict,
    DeviceStatus,
    FieldError,
    Invalid,
    TransferStatus,
)
from ...circulation.codes import Code
from ...circulation.schedules import ServicePointType
from ...database import write_transaction
from ...schemas.service_points import ReceivedOut, TransferList, TransferOut
from ...tables import Device, ServicePoint, Transfer
from .._common import audit
from .._common.guards import duplicate_is
from .._common.render import local_time
from .._common.rows import Row
from ..actors import Actor
from ..circulation.lifecycle import move_on
from ..library.service_points import point_by_code
from .devices import locked_device

__all__ = ["cancel_open_transfer", "list_transfers", "receive_device", "send_device"]

_COLUMNS = (
    Transfer.all_columns(),
    Transfer.device.barcode.as_alias("barcode"),
    Transfer.device.kind.as_alias("kind"),
    Transfer.from_point.code.as_alias("from_code"),
    Transfer.to_point.code.as_alias("to_code"),
    Transfer.to_point.timezone.as_alias("to_timezone"),
    Transfer.to_point.branch.timezone.as_alias("to_branch_timezone"),
)


def _view(row: Row) -> TransferOut:
    timezone = row["to_timezone"] or row["to_branch_timezone"]
    return TransferOut(
        id=row["id"],
        device=row["barcode"],
        kind=row["kind"],
        from_point=row["from_code"],
        to_point=row["to_code"],
        status=row["status"],
        sent_at=local_time(row["sent_at"], timezone),  # type: ignore[arg-type]
        sent_by=row["sent_by"],
        received_at=local_time(row["received_at"], timezone),
        received_by=row["received_by"],
    )


async def _transfer(transfer_id: int) -> TransferOut:
    return _view(await Transfer.select(*_COLUMNS).where(Transfer.id == transfer_id).first())


async def _where_now(device: Row) -> Row:
    """The service point the device is at: its current point, else its branch's own desk."""
    if device["current_point"] is not None:
        condition = ServicePoint.id == device["current_point"]
    else:
        condition = (ServicePoint.branch == device["branch"]) & (
            ServicePoint.type == ServicePointType.BRANCH
        )
    return await ServicePoint.select(ServicePoint.id, ServicePoint.code).where(condition).first()


async def send_device(actor: Actor, now: datetime, barcode: str, *, to: str) -> TransferOut:
    """Send a device on the shelf to the service point `to`: it is in transit until scanned
    in there."""
    async with write_transaction():
        device = await locked_device(barcode)
        destination = await point_by_code(to, field="to")
        if not destination.active:
            raise Invalid(FieldError("to", f"{destination.code} is not active"))
        if DeviceStatus(device["status"]) not in TRANSFERABLE:
            raise Conflict(
                f"Device {barcode} is {device['status']}: only a device on the shelf can be sent.",
                Code.DEVICE_NOT_TRANSFERABLE,
                facts={"status": device["status"]},
            )
        origin = await _where_now(device)
        if origin is not None and origin["id"] == destination.id:
            raise Invalid(FieldError("to", f"device {barcode} is already at {destination.code}"))
        refusal = Conflict(
            f"Device {barcode} is already on its way somewhere.",
            Code.DEVICE_NOT_TRANSFERABLE,
            facts={"status": DeviceStatus.IN_TRANSIT.value},
        )
        with duplicate_is(refusal):
            rows = await Transfer.insert(
                Transfer(
                    device=device["id"],
                    from_point=origin["id"] if origin else destination.id,
                    to_point=destination.id,
                    status=TransferStatus.IN_TRANSIT.value,
                    sent_at=now,
                    sent_by=actor.name,
                )
            ).returning(Transfer.id)
        await Device.update(
            {Device.status: DeviceStatus.IN_TRANSIT.value, Device.updated_at: now}
        ).where(Device.id == device["id"])
        await audit.record(
            actor,
            "transfer_sent",
            barcode,
            now,
            {
                "transfer": rows[0]["id"],
                "from": origin["code"] if origin else None,
                "to": destination.code,
            },
        )
        return await _transfer(rows[0]["id"])


async def receive_device(
    actor: Actor, now: datetime, barcode: str, *, at: str | None = None
) -> ReceivedOut:
    """The device is scanned in at its destination (`at`, when given, must be it): it takes
    its place there, on the hold shelf for the destination's first waiting patron of its kind,
    else on the shelf."""
    async with write_transaction():
        device = await locked_device(barcode)
        transfer = (
            await Transfer.select(*_COLUMNS)
            .where(
                (Transfer.device == device["id"]) & (Transfer.status == TransferStatus.IN_TRANSIT)
            )
            .first()
        )
        if transfer is None:
            raise Conflict(
                f"Device {barcode} is not on its way to a service point (it is "
                f"{device['status']}).",
                Code.NOT_IN_TRANSIT,
                facts={"status": device["status"]},
            )
        destination = await point_by_code(transfer["to_code"])
        if at is not None and at != destination.code:
            raise Conflict(
                f"Device {barcode} is on its way to {destination.code}, not {at}.",
                Code.TRANSFER_ELSEWHERE,
                facts={"to": destination.code},
            )
        there: dict[str, Any] = {**device, "branch": destination.branch_id}
        placed = await move_on(
            actor,
            now,
            there,
            processed=True,
            also={
                Device.branch: destination.branch_id,
                Device.current_point: destination.id,
                Device.last_seen_at: now,
            },
        )
        await Transfer.update(
            {
                Transfer.status: TransferStatus.RECEIVED.value,
                Transfer.received_at: now,
                Transfer.received_by: actor.name,
            }
        ).where(Transfer.id == transfer["id"])
        await audit.record(
            actor,
            "transfer_received",
            barcode,
            now,
            {
                "transfer": transfer["id"],
                "at": destination.code,
                "status": placed.place.status.value,
            },
        )
        view = await _transfer(transfer["id"])
    return ReceivedOut(
        transfer=view,
        device_status=placed.place.status,
        hold_for=placed.hold["patron_card"] if placed.hold else None,
    )


async def cancel_open_transfer(actor: Actor, now: datetime, device: Row, reason: str) -> None:
    """The device's status is being set by hand while it travels: its transfer ends as
    cancelled (inside the caller's transaction)."""
    rows = (
        await Transfer.update({Transfer.status: TransferStatus.CANCELLED.value})
        .where((Transfer.device == device["id"]) & (Transfer.status == TransferStatus.IN_TRANSIT))
        .returning(Transfer.id)
    )
    for row in rows:
        await audit.record(
            actor,
            "transfer_cancelled",
            device["barcode"],
            now,
            {"transfer": row["id"], "reason": reason},
        )


async def list_transfers(
    *,
    status: str | None = None,
    to: str | None = None,
    device: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> TransferList:
    """Transfers, newest first; `status=in_transit&to=CODE` is what a point is waiting for,
    `device=BARCODE` one device's moves."""
    condition = Transfer.id.is_not_null()
    if device:
        condition &= Transfer.device.barcode == device
    if status:
        condition &= Transfer.status == status
    if to:
        condition &= Transfer.to_point.code == to
    rows = (
        await Transfer.select(*_COLUMNS)
        .where(condition)
        .order_by(Transfer.sent_at, ascending=False)
        .order_by(Transfer.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    return TransferList(
        items=[_view(r) for r in rows], total=await Transfer.count().where(condition)
    )
