"""Sightings: a checkin or a shelf-audit scan records when a device was last seen; this
report lists the devices not seen for N days."""

from __future__ import annotations

from datetime import datetime

from piccolo.query import OrderByRaw

from ...circulation import DeviceStatus
from ...circulation.inventory import not_seen_since
from ...schemas.inventory import NotSeenList, NotSeenOut
from ...tables import Device
from .._common.render import local_time

__all__ = ["not_seen"]

# Devices not expected on any shelf: the report leaves them out unless asked by status.
OFF_THE_SHELF = [DeviceStatus.ON_LOAN, DeviceStatus.LOST, DeviceStatus.RETIRED]


async def not_seen(
    now: datetime,
    *,
    days: int,
    branch: str | None,
    kind: str | None,
    status: str | None,
    limit: int,
    offset: int,
) -> NotSeenList:
    """Devices not seen (checked in or scanned in an audit) for `days` days; a device never
    seen counts from when it was added. Without `status`: every device that should be on a
    shelf somewhere (not on loan, lost or retired)."""
    cutoff = not_seen_since(now, days)
    conditions = [
        (Device.last_seen_at < cutoff)
        | (Device.last_seen_at.is_null() & (Device.created_at < cutoff))
    ]
    if status:
        conditions.append(Device.status == status)
    else:
        conditions.append(Device.status.not_in(OFF_THE_SHELF))
    if branch:
        conditions.append(Device.branch.code == branch)
    if kind:
        conditions.append(Device.kind == kind)
    rows = await (
        Device.select(
            Device.barcode,
            Device.kind,
            Device.model,
            Device.status,
            Device.location,
            Device.last_seen_at,
            Device.branch.code.as_alias("branch"),
            Device.branch.timezone.as_alias("tz"),
        )
        .where(*conditions)
        .order_by(OrderByRaw("COALESCE(device.last_seen_at, device.created_at)"))
        .order_by(Device.barcode)
        .limit(limit)
        .offset(offset)
    )
    items = [
        NotSeenOut(
            barcode=r["barcode"],
            kind=r["kind"],
            model=r["model"],
            status=r["status"],
            branch=r["branch"],
            location=r["location"] or None,
            last_seen_at=local_time(r["last_seen_at"], r["tz"]),
        )
        for r in rows
    ]
    return NotSeenList(items=items, total=await Device.count().where(*conditions))
