"""A device's kit: its parts (charger, cable, case, SIM...), each with a replacement cost and
optionally its own barcode. Admins add and edit them; a part is never deleted, only removed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...circulation import Conflict, FieldError, Invalid, NotFound, PartStatus
from ...circulation.codes import Code
from ...circulation.inventory import PART_STATUSES
from ...database import write_transaction
from ...schemas.inventory import KitPartList, KitPartOut
from ...tables import Device, KitPart
from .._common import audit
from .._common.guards import duplicate_is
from .._common.render import cents_to_amount
from ..actors import Actor
from .devices import amount_to_cents, device_by_barcode

__all__ = ["add_part", "kit_of_device", "update_part"]


def part_view(row: dict[str, Any]) -> KitPartOut:
    return KitPartOut(
        id=row["id"],
        name=row["name"],
        barcode=row["barcode"],
        replacement_cost=cents_to_amount(row["replacement_cost_cents"]),
        status=PartStatus(row["status"]),
    )


async def kit_of_device(barcode: str) -> KitPartList:
    device = await device_by_barcode(barcode)
    rows = await (
        KitPart.select()
        .where((KitPart.device == device["id"]) & (KitPart.status != PartStatus.REMOVED))
        .order_by(KitPart.id)
    )
    return KitPartList(items=[part_view(r) for r in rows], total=len(rows))


def _bad_barcode(part_barcode: str | None) -> None:
    if part_barcode is not None and not part_barcode.strip():
        raise Invalid(FieldError("barcode", "must not be empty"))


async def _check_part_barcode(part_barcode: str | None) -> None:
    if part_barcode and await Device.exists().where(Device.barcode == part_barcode):
        raise Conflict(
            f"{part_barcode!r} is a device's barcode, not free for a part.", Code.DUPLICATE_BARCODE
        )


async def add_part(
    actor: Actor, now: datetime, barcode: str, *, name: str, cost: float, part_barcode: str | None
) -> KitPartOut:
    _bad_barcode(part_barcode)
    async with write_transaction():
        device = await device_by_barcode(barcode)
        await _check_part_barcode(part_barcode)
        with duplicate_is(
            Conflict(
                "This kit already has a part with that name, or the part barcode is taken.",
                Code.DUPLICATE_PART,
            )
        ):
            rows = await KitPart.insert(
                KitPart(
                    device=device["id"],
                    name=name.strip(),
                    barcode=part_barcode,
                    replacement_cost_cents=amount_to_cents(cost),
                    status=PartStatus.PRESENT,
                    created_at=now,
                    updated_at=now,
                )
            ).returning(*KitPart.all_columns())
        await audit.record(actor, "kit_part_added", barcode, now, {"part": name.strip()})
    return part_view(rows[0])


async def update_part(
    actor: Actor, now: datetime, barcode: str, part_id: int, changes: dict[str, Any]
) -> KitPartOut:
    values: dict[Any, Any] = {}
    if "name" in changes:
        values[KitPart.name] = changes["name"].strip()
    if "replacement_cost" in changes:
        values[KitPart.replacement_cost_cents] = amount_to_cents(changes["replacement_cost"])
    if "barcode" in changes:
        _bad_barcode(changes["barcode"])
        values[KitPart.barcode] = changes["barcode"]
    if "status" in changes:
        if changes["status"] not in PART_STATUSES:
            raise Invalid(FieldError("status", f"must be one of {', '.join(PART_STATUSES)}"))
        values[KitPart.status] = changes["status"]
    async with write_transaction():
        device = await device_by_barcode(barcode)
        part = (
            await KitPart.select()
            .where((KitPart.id == part_id) & (KitPart.device == device["id"]))
            .first()
        )
        if part is None:
            raise NotFound(f"Device {barcode} has no kit part {part_id}.", Code.PART_NOT_FOUND)
        await _check_part_barcode(changes.get("barcode"))
        if values:
            values[KitPart.updated_at] = now
            with duplicate_is(
                Conflict(
                    "This kit already has a part with that name, or the barcode is taken.",
                    Code.DUPLICATE_PART,
                )
            ):
                await KitPart.update(values).where(KitPart.id == part_id)
            details = {k._meta.name: v for k, v in values.items() if k._meta.name != "updated_at"}
            details["part"] = part_id
            await audit.record(actor, "kit_part_updated", barcode, now, details)
        part = await KitPart.select().where(KitPart.id == part_id).first()
    return part_view(part)
