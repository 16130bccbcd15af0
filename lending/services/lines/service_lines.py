"""Carrier service lines (SIM cards) and data plans: create, edit, move between devices
(SIM swaps, with history), swap the line in a device, retire a line, list and filter."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec

from ...circulation import Conflict, FieldError, Invalid, LineStatus, NotFound
from ...circulation.codes import Code
from ...circulation.identifiers import valid_iccid, valid_imei, valid_msisdn
from ...circulation.states import values
from ...database import write_transaction
from ...schemas.base import CheckinLineOut, LineBriefOut
from ...schemas.lines import LineList, LineOut, MoveOut, PlanList, PlanOut
from ...tables import DataPlan, Device, LineMove, ServiceLine
from .._common import audit
from .._common.guards import duplicate_is
from .._common.render import cents_to_amount, local_time
from .._common.rows import Row
from .._common.sql import contains
from ..actors import Actor

__all__ = [
    "LINE_STATUSES",
    "create_line",
    "create_plan",
    "get_line",
    "line_after_checkin",
    "line_for_device",
    "line_is_suspended",
    "lines_for_devices",
    "list_lines",
    "list_plans",
    "move_line",
    "retire_line",
    "swap_line",
    "update_line",
    "update_plan",
]

LINE_STATUSES = values(*LineStatus)

LINE_COLUMNS = (
    ServiceLine.all_columns(),
    ServiceLine.device.barcode.as_alias("device_barcode"),
    ServiceLine.plan.name.as_alias("plan_name"),
)


def plan_view(row: dict[str, Any]) -> PlanOut:
    return PlanOut(
        id=row["id"],
        carrier=row["carrier"],
        name=row["name"],
        monthly_cost=cents_to_amount(row["monthly_cost_cents"]),
        data_cap_gb=row["data_cap_gb"],
        term_end=row["term_end"],
    )


def line_view(row: dict[str, Any], timezone: str, moves: list[dict] | None = None) -> LineOut:
    """A line; with `moves` (its history, oldest first) as the single-line reply has it."""
    out = LineOut(
        iccid=row["iccid"],
        phone_number=row["msisdn"],
        carrier=row["carrier"],
        plan=row["plan"],
        plan_name=row["plan_name"],
        status=row["status"],
        device=row["device_barcode"],
    )
    if moves is not None:
        out.moves = [
            MoveOut(
                from_device=m["from_barcode"],
                to_device=m["to_barcode"],
                at=local_time(m["at"], timezone),
                by=m["actor"],
            )
            for m in moves
        ]
    return out


def _cents(amount: float | None, field: str) -> int:
    if amount is None:
        return 0
    if amount < 0 or amount > 100_000:
        raise Invalid(FieldError(field, "must be between 0 and 100000"))
    return round(amount * 100)


async def create_plan(actor: Actor, now: datetime, data: dict[str, Any]) -> PlanOut:
    async with write_transaction():
        inserted = await DataPlan.insert(
            DataPlan(
                carrier=data["carrier"],
                name=data["name"],
                monthly_cost_cents=_cents(data.get("monthly_cost"), "monthly_cost"),
                data_cap_gb=data.get("data_cap_gb"),
                term_end=data.get("term_end"),
                created_at=now,
            )
        ).returning(DataPlan.id)
        plan_id = inserted[0]["id"]
        await audit.record(actor, "plan_created", f"plan:{plan_id}", now, {"name": data["name"]})
        row = await DataPlan.select().where(DataPlan.id == plan_id).first()
    return plan_view(row)


async def update_plan(actor: Actor, now: datetime, plan_id: int, data: dict[str, Any]) -> PlanOut:
    values: dict[Any, Any] = {}
    for name in ("carrier", "name", "data_cap_gb", "term_end"):
        if name in data:
            values[getattr(DataPlan, name)] = data[name]
    if "monthly_cost" in data:
        values[DataPlan.monthly_cost_cents] = _cents(data["monthly_cost"], "monthly_cost")
    async with write_transaction():
        row = await DataPlan.select().where(DataPlan.id == plan_id).first()
        if row is None:
            raise NotFound(f"No data plan with id {plan_id}.", Code.PLAN_NOT_FOUND)
        if values:
            await DataPlan.update(values).where(DataPlan.id == plan_id)
            await audit.record(actor, "plan_updated", f"plan:{plan_id}", now, _jsonable(data))
        row = await DataPlan.select().where(DataPlan.id == plan_id).first()
    return plan_view(row)


async def list_plans(limit: int = 50, offset: int = 0) -> PlanList:
    rows = (
        await DataPlan.select()
        .order_by(DataPlan.carrier)
        .order_by(DataPlan.name)
        .limit(limit)
        .offset(offset)
    )
    return PlanList(items=[plan_view(r) for r in rows], total=await DataPlan.count())


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in data.items()}


async def _line_row(iccid: str) -> Row:
    row = await ServiceLine.select(*LINE_COLUMNS).where(ServiceLine.iccid == iccid).first()
    if row is None:
        raise NotFound(f"No service line with ICCID {iccid}.", Code.LINE_NOT_FOUND)
    return row


async def _device_id(barcode: str | None) -> int | None:
    if not barcode:
        return None
    row = await Device.select(Device.id, Device.kind).where(Device.barcode == barcode).first()
    if row is None:
        raise Invalid(FieldError("device", f"no device with barcode {barcode!r}"))
    return row["id"]


async def _plan_id(plan: int | None) -> int | None:
    if plan is None:
        return None
    if not await DataPlan.exists().where(DataPlan.id == plan):
        raise Invalid(FieldError("plan", f"no data plan with id {plan}"))
    return plan


async def _ensure_device_free(device_id: int | None, line_id: int | None, barcode: str) -> None:
    if device_id is None:
        return
    other = (
        await ServiceLine.select(ServiceLine.id, ServiceLine.iccid)
        .where(ServiceLine.device == device_id)
        .first()
    )
    if other is not None and other["id"] != line_id:
        raise Conflict(
            f"Device {barcode} already holds line {other['iccid']}; move that line first.",
            Code.DEVICE_HAS_LINE,
        )


async def create_line(actor: Actor, now: datetime, data: dict[str, Any], timezone: str) -> LineOut:
    """A new line; `device` installs it there, and `imei` (optional, with a device) records the
    hotspot's IMEI on that device in the same transaction."""
    errors = []
    for name, check in (
        ("iccid", valid_iccid),
        ("phone_number", valid_msisdn),
        ("imei", valid_imei),
    ):
        try:
            if data.get(name) is not None:
                check(data[name])
        except Invalid as exc:
            errors.extend(exc.errors)
    if errors:
        raise Invalid(errors)
    iccid = valid_iccid(data["iccid"])
    msisdn = valid_msisdn(data["phone_number"])
    imei = valid_imei(data["imei"]) if data.get("imei") else None
    status = data.get("status") or LineStatus.ACTIVE
    if status not in LINE_STATUSES:
        raise Invalid(FieldError("status", f"must be one of {', '.join(LINE_STATUSES)}"))
    barcode = data.get("device")
    if imei and not barcode:
        raise Invalid(
            FieldError("imei", "an IMEI is the device's: give the device the line goes in")
        )
    async with write_transaction():
        device_id = await _device_id(barcode)
        if imei and device_id is not None:
            await Device.update({Device.imei: imei}).where(Device.id == device_id)
        plan_id = await _plan_id(data.get("plan"))
        if await ServiceLine.exists().where(ServiceLine.iccid == iccid):
            raise Conflict(f"A line with ICCID {iccid} already exists.", Code.DUPLICATE_ICCID)
        if await ServiceLine.exists().where(ServiceLine.msisdn == msisdn):
            raise Conflict(
                f"A line with number {msisdn} already exists.", Code.DUPLICATE_PHONE_NUMBER
            )
        await _ensure_device_free(device_id, None, barcode or "")
        with duplicate_is(
            Conflict(
                "That ICCID, number or device is already used by another line.",
                Code.DUPLICATE_LINE,
            )
        ):
            inserted = await ServiceLine.insert(
                ServiceLine(
                    iccid=iccid,
                    msisdn=msisdn,
                    carrier=data["carrier"],
                    plan=plan_id,
                    status=status,
                    device=device_id,
                    created_at=now,
                    updated_at=now,
                )
            ).returning(ServiceLine.id)
        if device_id is not None:
            await LineMove.insert(
                LineMove(
                    line=inserted[0]["id"],
                    from_device=None,
                    to_device=device_id,
                    at=now,
                    actor=actor.name,
                )
            )
        await audit.record(
            actor,
            "line_created",
            iccid,
            now,
            {"phone_number": msisdn, "carrier": data["carrier"], "device": barcode, "imei": imei},
        )
    return await get_line(iccid, timezone)


async def update_line(
    actor: Actor, now: datetime, iccid: str, data: dict[str, Any], timezone: str
) -> LineOut:
    values: dict[Any, Any] = {}
    if "phone_number" in data:
        values[ServiceLine.msisdn] = valid_msisdn(data["phone_number"])
    if "carrier" in data:
        values[ServiceLine.carrier] = data["carrier"]
    if "status" in data:
        if data["status"] not in LINE_STATUSES:
            raise Invalid(FieldError("status", f"must be one of {', '.join(LINE_STATUSES)}"))
        values[ServiceLine.status] = data["status"]
    async with write_transaction():
        row = await _line_row(valid_iccid(iccid))
        if "plan" in data:
            values[ServiceLine.plan] = await _plan_id(data["plan"])
        if values:
            values[ServiceLine.updated_at] = now
            with duplicate_is(
                Conflict("Another line already has that number.", Code.DUPLICATE_PHONE_NUMBER)
            ):
                await ServiceLine.update(values).where(ServiceLine.id == row["id"])
            await audit.record(actor, "line_updated", row["iccid"], now, _jsonable(data))
    return await get_line(row["iccid"], timezone)


async def move_line(
    actor: Actor, now: datetime, iccid: str, to_barcode: str | None, timezone: str
) -> LineOut:
    """Move a line (SIM) into another device, or out of any device (`to_barcode` None)."""
    async with write_transaction():
        row = await _line_row(valid_iccid(iccid))
        to_device = await _device_id(to_barcode) if to_barcode else None
        if to_device == row["device"]:
            raise Conflict("The line is already in that device.", Code.LINE_ALREADY_THERE)
        await _ensure_device_free(to_device, row["id"], to_barcode or "")
        await _record_move(actor, now, row["id"], row["device"], to_device)
        await audit.record(
            actor,
            "line_moved",
            row["iccid"],
            now,
            {"from_device": row["device_barcode"], "to_device": to_barcode},
        )
    return await get_line(row["iccid"], timezone)


async def _record_move(
    actor: Actor, now: datetime, line_id: int, from_device: int | None, to_device: int | None
) -> None:
    await ServiceLine.update({ServiceLine.device: to_device, ServiceLine.updated_at: now}).where(
        ServiceLine.id == line_id
    )
    await LineMove.insert(
        LineMove(
            line=line_id, from_device=from_device, to_device=to_device, at=now, actor=actor.name
        )
    )


async def swap_line(
    actor: Actor, now: datetime, barcode: str, iccid: str, timezone: str
) -> LineOut:
    """Put line `iccid` in device `barcode`, taking out the line that was there (a SIM swap):
    one transaction, both moves in the history."""
    iccid = valid_iccid(iccid)
    async with write_transaction():
        device_id = await _device_id(barcode)
        row = await _line_row(iccid)
        if row["device"] == device_id:
            raise Conflict("The line is already in that device.", Code.LINE_ALREADY_THERE)
        if row["status"] == LineStatus.CANCELLED:
            raise Conflict(
                f"Line {iccid} is retired (cancelled); a retired line cannot be installed.",
                Code.LINE_RETIRED,
            )
        old = (
            await ServiceLine.select(ServiceLine.id, ServiceLine.iccid)
            .where(ServiceLine.device == device_id)
            .first()
        )
        if old is not None:
            await _record_move(actor, now, old["id"], device_id, None)
        await _record_move(actor, now, row["id"], row["device"], device_id)
        await audit.record(
            actor,
            "line_swapped",
            iccid,
            now,
            {
                "device": barcode,
                "out": old["iccid"] if old else None,
                "from_device": row["device_barcode"],
            },
        )
    return await get_line(iccid, timezone)


async def retire_line(actor: Actor, now: datetime, iccid: str, timezone: str) -> LineOut:
    """Retire a line: out of its device (in the history) and cancelled, in one transaction."""
    async with write_transaction():
        row = await _line_row(valid_iccid(iccid))
        if row["status"] == LineStatus.CANCELLED and row["device"] is None:
            raise Conflict(f"Line {row['iccid']} is already retired.", Code.LINE_RETIRED)
        if row["device"] is not None:
            await _record_move(actor, now, row["id"], row["device"], None)
        await ServiceLine.update(
            {ServiceLine.status: LineStatus.CANCELLED, ServiceLine.updated_at: now}
        ).where(ServiceLine.id == row["id"])
        await audit.record(
            actor, "line_retired", row["iccid"], now, {"from_device": row["device_barcode"]}
        )
    return await get_line(row["iccid"], timezone)


async def get_line(iccid: str, timezone: str) -> LineOut:
    row = await _line_row(valid_iccid(iccid))
    moves = (
        await LineMove.select(
            LineMove.at,
            LineMove.actor,
            LineMove.from_device.barcode.as_alias("from_barcode"),
            LineMove.to_device.barcode.as_alias("to_barcode"),
        )
        .where(LineMove.line == row["id"])
        .order_by(LineMove.id)
    )
    return line_view(row, timezone, moves)


BRIEF_COLUMNS = (
    ServiceLine.device,
    ServiceLine.iccid,
    ServiceLine.msisdn,
    ServiceLine.carrier,
    ServiceLine.status,
)


def _brief(row: dict[str, Any]) -> LineBriefOut:
    return LineBriefOut(
        iccid=row["iccid"],
        phone_number=row["msisdn"],
        carrier=row["carrier"],
        status=row["status"],
    )


async def line_for_device(device_id: int) -> LineBriefOut | None:
    """The line installed in the device, in brief, or None."""
    row = await ServiceLine.select(*BRIEF_COLUMNS).where(ServiceLine.device == device_id).first()
    return None if row is None else _brief(row)


async def line_is_suspended(device_id: int) -> bool:
    """Whether the device's line is suspended at the carrier (as last recorded)."""
    return await ServiceLine.exists().where(
        (ServiceLine.device == device_id) & (ServiceLine.status == LineStatus.SUSPENDED)
    )


async def line_after_checkin(device_id: int, restore_queued: bool) -> CheckinLineOut | None:
    """The line in a device just checked in, and whether its restore is queued, or None."""
    row = await ServiceLine.select(*BRIEF_COLUMNS).where(ServiceLine.device == device_id).first()
    if row is None:
        return None
    return CheckinLineOut(**msgspec.structs.asdict(_brief(row)), restore_queued=restore_queued)


async def lines_for_devices(device_ids: list[int]) -> dict[int, LineBriefOut]:
    """The line in each of these devices, by device id (one query)."""
    if not device_ids:
        return {}
    rows = await ServiceLine.select(*BRIEF_COLUMNS).where(ServiceLine.device.is_in(device_ids))
    return {r["device"]: _brief(r) for r in rows}


async def list_lines(
    timezone: str,
    *,
    status: str | None = None,
    carrier: str | None = None,
    plan: int | None = None,
    unassigned: bool | None = None,
    q: str | None = None,
    device: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> LineList:
    conditions: list[Any] = []
    if device:
        conditions.append(ServiceLine.device.barcode == device)
    if status:
        conditions.append(ServiceLine.status == status)
    if carrier:
        conditions.append(ServiceLine.carrier == carrier)
    if plan is not None:
        conditions.append(ServiceLine.plan == plan)
    if unassigned is True:
        conditions.append(ServiceLine.device.is_null())
    elif unassigned is False:
        conditions.append(ServiceLine.device.is_not_null())
    if q:
        conditions.append(contains(q, ServiceLine.iccid, ServiceLine.msisdn))
    query = ServiceLine.select(*LINE_COLUMNS).order_by(ServiceLine.iccid)
    count = ServiceLine.count()
    if conditions:
        query = query.where(*conditions)
        count = count.where(*conditions)
    rows = await query.limit(limit).offset(offset)
    return LineList(items=[line_view(r, timezone) for r in rows], total=await count)
