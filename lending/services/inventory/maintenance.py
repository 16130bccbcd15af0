"""The maintenance log: damage sends a device `in_repair` with a record (date, problem, cost,
resolution); resolving it returns the device to service (through processing when its kind has
steps) or retires it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...circulation import Conflict, DeviceStatus, NotFound, ProcessingStatus
from ...circulation.codes import Code
from ...database import write_transaction
from ...schemas.base import MaintenanceOut
from ...schemas.inventory import MaintenanceList, RepairResolvedOut
from ...tables import Device, Loan, Maintenance, Processing
from .._common import audit
from .._common.render import cents_to_amount, local_time
from .._common.rows import Row
from ..actors import Actor
from ..circulation.holds import hold_view, release_device_from_hold
from ..circulation.lifecycle import move_on
from .devices import amount_to_cents, device_by_barcode, locked_device

__all__ = ["list_maintenance", "open_repair", "resolve_repair", "send_to_repair"]

REPAIRABLE = (
    DeviceStatus.AVAILABLE,
    DeviceStatus.ON_HOLD_SHELF,
    DeviceStatus.IN_PROCESSING,
    DeviceStatus.SET_ASIDE,
)


def maintenance_view(row: dict[str, Any], timezone: str) -> MaintenanceOut:
    """A maintenance record (a row, with the device's `barcode` added) in the branch's zone."""
    return MaintenanceOut(
        id=row["id"],
        device=row.get("barcode"),
        opened_at=local_time(row["opened_at"], timezone),
        opened_by=row["opened_by"],
        problem=row["problem"],
        cost=cents_to_amount(row["cost_cents"]),
        resolution=row["resolution"] or None,
        resolved_at=local_time(row["resolved_at"], timezone),
        resolved_by=row["resolved_by"] or None,
    )


async def list_maintenance(barcode: str) -> MaintenanceList:
    device = await device_by_barcode(barcode)
    rows = (
        await Maintenance.select()
        .where(Maintenance.device == device["id"])
        .order_by(Maintenance.id, ascending=False)
    )
    items = [maintenance_view({**r, "barcode": barcode}, device["branch_timezone"]) for r in rows]
    return MaintenanceList(items=items, total=len(items))


async def send_to_repair(
    actor: Actor, now: datetime, device: dict[str, Any], problem: str, cost_cents: int
) -> Row:
    """Inside the caller's transaction: the device goes `in_repair` and a record opens. A
    stale open record (the status was changed by hand since) is closed first."""
    await Maintenance.update(
        {
            Maintenance.resolved_at: now,
            Maintenance.resolved_by: actor.name,
            Maintenance.resolution: "(closed: the device's status was changed by hand)",
        }
    ).where((Maintenance.device == device["id"]) & Maintenance.resolved_at.is_null())
    await Processing.update(
        {Processing.status: ProcessingStatus.REPAIR, Processing.finished_at: now}
    ).where((Processing.device == device["id"]) & (Processing.status == ProcessingStatus.OPEN))
    if device["status"] == DeviceStatus.ON_HOLD_SHELF:
        await release_device_from_hold(actor, now, device["id"], reason="device_in_repair")
    await Device.update({Device.status: DeviceStatus.IN_REPAIR, Device.updated_at: now}).where(
        Device.id == device["id"]
    )
    rows = await Maintenance.insert(
        Maintenance(
            device=device["id"],
            opened_at=now,
            opened_by=actor.name,
            problem=problem.strip(),
            cost_cents=cost_cents,
            resolution="",
        )
    ).returning(*Maintenance.all_columns())
    await audit.record(
        actor,
        "repair_opened",
        device["barcode"],
        now,
        {"maintenance": rows[0]["id"], "problem": problem.strip(), "was": device["status"]},
    )
    return rows[0]


async def _locked_device(barcode: str) -> Row:
    return await locked_device(barcode, Device.branch.timezone.as_alias("tz"))


async def open_repair(
    actor: Actor, now: datetime, barcode: str, *, problem: str, cost: float | None
) -> MaintenanceOut:
    async with write_transaction():
        device = await _locked_device(barcode)
        if await Loan.exists().where((Loan.device == device["id"]) & Loan.returned_at.is_null()):
            raise Conflict(
                f"Device {barcode} is on loan; check it in and report the damage.",
                Code.DEVICE_ON_LOAN,
            )
        if device["status"] not in REPAIRABLE:
            raise Conflict(
                f"Device {barcode} is {device['status']}; it cannot be sent to repair.",
                Code.DEVICE_NOT_REPAIRABLE,
            )
        row = await send_to_repair(actor, now, device, problem, amount_to_cents(cost, "cost"))
    return maintenance_view({**row, "barcode": barcode}, device["tz"])


async def resolve_repair(
    actor: Actor,
    now: datetime,
    maintenance_id: int,
    *,
    resolution: str,
    cost: float | None,
    retire: bool,
) -> RepairResolvedOut:
    async with write_transaction():
        record = (
            await Maintenance.select(
                Maintenance.all_columns(), Maintenance.device.barcode.as_alias("barcode")
            )
            .where(Maintenance.id == maintenance_id)
            .first()
        )
        if record is None:
            raise NotFound(f"No maintenance record {maintenance_id}.", Code.MAINTENANCE_NOT_FOUND)
        if record["resolved_at"] is not None:
            raise Conflict("This repair is already resolved.", Code.REPAIR_ALREADY_RESOLVED)
        device = await _locked_device(record["barcode"])
        values: dict[Any, Any] = {
            Maintenance.resolution: resolution.strip(),
            Maintenance.resolved_at: now,
            Maintenance.resolved_by: actor.name,
        }
        if cost is not None:
            values[Maintenance.cost_cents] = amount_to_cents(cost, "cost")
        await Maintenance.update(values).where(Maintenance.id == maintenance_id)
        hold = None
        if device["status"] != DeviceStatus.IN_REPAIR:
            status = device["status"]  # changed by hand meanwhile: leave it
        else:
            placed = await move_on(actor, now, device, retire=retire)
            status, hold = placed.place.status.value, placed.hold
        await audit.record(
            actor,
            "repair_resolved",
            device["barcode"],
            now,
            {"maintenance": maintenance_id, "resolution": resolution.strip(), "status": status},
        )
        row = await Maintenance.select().where(Maintenance.id == maintenance_id).first()
        current = await device_by_barcode(device["barcode"])
    return RepairResolvedOut(
        maintenance=maintenance_view({**row, "barcode": device["barcode"]}, device["tz"]),
        status=DeviceStatus(current["status"]),
        hold=hold_view(hold) if hold else None,
    )
