"""Devices: add, look up, search and edit the inventory."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from ...circulation import (
    Conflict,
    DeviceStatus,
    FieldError,
    Invalid,
    NotFound,
    check_digit_problem,
    luhn_valid,
)
from ...circulation.codes import Code
from ...circulation.rules import DEVICE_STATUSES
from ...circulation.states import values
from ...database import is_postgres, write_transaction
from ...schemas.base import DeviceOut, LoanOut
from ...tables import Device, Loan
from .._common import audit
from .._common.guards import duplicate_is, unique_violation
from .._common.paging import Page, page_of
from .._common.render import cents_to_amount, local_time
from .._common.rows import Row
from .._common.sql import contains
from ..actors import Actor
from ..circulation.loans import loan_rows, loan_view
from ..library.branches import branch_by_code
from ..library.policies import valid_kind
from ..lines.service_lines import line_for_device, lines_for_devices

__all__ = [
    "create_device",
    "device_by_barcode",
    "locked_device",
    "device_view",
    "get_device",
    "list_devices",
    "update_device",
]

# Statuses an admin may set by hand (the others follow from circulation).
SETTABLE_STATUSES = values(
    DeviceStatus.AVAILABLE, DeviceStatus.IN_REPAIR, DeviceStatus.RETIRED, DeviceStatus.LOST
)

DEVICE_COLUMNS = (
    Device.all_columns(),
    Device.branch.code.as_alias("branch_code"),
    Device.branch.timezone.as_alias("branch_timezone"),
)


def valid_imei(imei: str | None) -> str | None:
    if imei is None or imei == "":
        return None
    if not (imei.isdigit() and len(imei) == 15 and luhn_valid(imei)):
        raise Invalid(FieldError("imei", "an IMEI is 15 digits with a valid check digit"))
    return imei


def valid_barcode(barcode: str) -> str:
    """A device barcode as it may be stored: a 14-digit one needs its check digit right, or its
    labels would not print and scanners could misread it."""
    problem = check_digit_problem(barcode)
    if problem:
        raise Invalid(FieldError("barcode", problem))
    return barcode


def _acquired(day: date | None, now: datetime) -> date | None:
    if day is not None and day > (now + timedelta(days=1)).date():
        raise Invalid(FieldError("acquired_on", "must not be in the future"))
    return day


def amount_to_cents(amount: float | int | None, field: str = "replacement_cost") -> int:
    if amount is None:
        return 0
    if amount < 0 or amount > 1_000_000:
        raise Invalid(FieldError(field, "must be between 0 and 1000000"))
    return round(amount * 100)


async def device_by_barcode(barcode: str) -> Row:
    row = await Device.select(*DEVICE_COLUMNS).where(Device.barcode == barcode).first()
    if row is None:
        raise NotFound(f"No device with barcode {barcode!r}.", Code.DEVICE_NOT_FOUND)
    return row


async def locked_device(barcode: str, *columns: Any) -> Row:
    """The device's row (and `columns`), locked until the caller's transaction ends (on
    SQLite the write transaction already holds the database); NotFound when no device has the
    barcode."""
    query = Device.select(Device.all_columns(), *columns).where(Device.barcode == barcode)
    if is_postgres():
        query = query.lock_rows(of=(Device,))
    device = await query.first()
    if device is None:
        raise NotFound(f"No device with barcode {barcode!r}.", Code.DEVICE_NOT_FOUND)
    return device


def device_view(row: Row, current_loan: LoanOut | None) -> DeviceOut:
    """The device as the API shows it; `line` (the carrier line in it) is filled in by the
    callers that show it."""
    return DeviceOut(
        barcode=row["barcode"],
        kind=row["kind"],
        model=row["model"],
        serial_number=row["serial_number"],
        imei=row["imei"],
        branch=row["branch_code"],
        status=row["status"],
        replacement_cost=cents_to_amount(row["replacement_cost_cents"]),
        notes=row["notes"],
        needs_label=row["needs_label"],
        wifi_name=row.get("wifi_name"),
        wifi_password=row.get("wifi_password"),
        location=row.get("location") or "",
        acquired_on=row.get("acquired_on"),
        last_seen_at=local_time(row.get("last_seen_at"), row.get("branch_timezone") or "UTC"),
        current_loan=current_loan,
    )


async def _current_loan(device_id: int, now: datetime) -> LoanOut | None:
    rows = await loan_rows((Loan.device == device_id) & Loan.returned_at.is_null())
    return loan_view(rows[0], now) if rows else None


async def get_device(barcode: str, now: datetime) -> DeviceOut:
    row = await device_by_barcode(barcode)
    view = device_view(row, await _current_loan(row["id"], now))
    view.line = await line_for_device(row["id"])
    return view


async def create_device(actor: Actor, now: datetime, data: dict[str, Any]) -> DeviceOut:
    kind = valid_kind(data["kind"])
    imei = valid_imei(data.get("imei"))
    cost = amount_to_cents(data.get("replacement_cost"))
    barcode = valid_barcode(data["barcode"])
    async with write_transaction():
        branch = await branch_by_code(data["branch"], field="branch")
        if await Device.exists().where(Device.barcode == barcode):
            raise Conflict(
                f"A device with barcode {barcode!r} already exists.", Code.DUPLICATE_BARCODE
            )
        with duplicate_is(
            Conflict(f"A device with barcode {barcode!r} already exists.", Code.DUPLICATE_BARCODE)
        ):
            await Device.insert(
                Device(
                    barcode=barcode,
                    kind=kind,
                    model=data["model"],
                    serial_number=data["serial_number"],
                    imei=imei,
                    branch=branch.id,
                    status=DeviceStatus.AVAILABLE,
                    replacement_cost_cents=cost,
                    notes=data.get("notes") or "",
                    needs_label=True,
                    wifi_name=_wifi(data.get("wifi_name")),
                    wifi_password=_wifi(data.get("wifi_password")),
                    location=(data.get("location") or "").strip(),
                    acquired_on=_acquired(data.get("acquired_on"), now),
                    created_at=now,
                    updated_at=now,
                )
            )
        await audit.record(
            actor,
            "device_created",
            barcode,
            now,
            {"kind": kind, "model": data["model"], "branch": branch.code},
        )
        row = await device_by_barcode(barcode)
    return device_view(row, None)


async def list_devices(
    now: datetime,
    *,
    status: str | None = None,
    kind: str | None = None,
    branch: str | None = None,
    q: str | None = None,
    needs_label: bool | None = None,
    added_since: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    conditions = []
    if status:
        conditions.append(Device.status == status)
    if needs_label is not None:
        conditions.append(Device.needs_label == needs_label)
    if added_since is not None:
        conditions.append(Device.created_at >= added_since)
    if kind:
        conditions.append(Device.kind == kind)
    if branch:
        conditions.append(Device.branch.code == branch)
    if q:
        conditions.append(contains(q, Device.barcode, Device.serial_number, Device.model))
    query = Device.select(*DEVICE_COLUMNS).order_by(Device.barcode)
    count = Device.count()
    if conditions:
        query = query.where(*conditions)
        count = count.where(*conditions)
    rows = await query.limit(limit).offset(offset)
    loans: dict[int, LoanOut] = {}
    ids = [r["id"] for r in rows]
    if ids:
        for loan in await loan_rows(Loan.device.is_in(ids) & Loan.returned_at.is_null()):
            loans[loan["device"]] = loan_view(loan, now)
    in_device = await lines_for_devices(ids)
    items = []
    for r in rows:
        view = device_view(r, loans.get(r["id"]))
        view.line = in_device.get(r["id"])
        items.append(view)
    return page_of(items, await count)


async def update_device(
    actor: Actor, now: datetime, barcode: str, changes: dict[str, Any]
) -> DeviceOut:
    values: dict[Any, Any] = {}
    details: dict[str, Any] = {}
    if "kind" in changes:
        values[Device.kind] = valid_kind(changes["kind"])
    if "imei" in changes:
        values[Device.imei] = valid_imei(changes["imei"])
    if "replacement_cost" in changes:
        values[Device.replacement_cost_cents] = amount_to_cents(changes["replacement_cost"])
    if "acquired_on" in changes:
        values[Device.acquired_on] = _acquired(changes["acquired_on"], now)
    if "location" in changes:
        values[Device.location] = (changes["location"] or "").strip()
    for name in ("model", "serial_number", "notes", "needs_label"):
        if name in changes:
            values[getattr(Device, name)] = changes[name]
    for name in ("wifi_name", "wifi_password"):
        if name in changes:
            values[getattr(Device, name)] = _wifi(changes[name])
    status = changes.get("status")
    if status is not None and status not in SETTABLE_STATUSES:
        allowed = ", ".join(SETTABLE_STATUSES)
        if status in DEVICE_STATUSES:
            raise Invalid(
                FieldError("status", f"{status} follows from circulation; set one of {allowed}")
            )
        raise Invalid(FieldError("status", f"must be one of {allowed}"))
    new_barcode = changes.get("barcode")
    if new_barcode == barcode:
        new_barcode = None
    if new_barcode is not None:
        valid_barcode(new_barcode)
    async with write_transaction():
        row = await device_by_barcode(barcode)
        if new_barcode is not None:
            # A new barcode needs a new label: the device goes on the reprint queue.
            if await Device.exists().where(Device.barcode == new_barcode):
                raise Conflict(
                    f"A device with barcode {new_barcode!r} already exists.", Code.DUPLICATE_BARCODE
                )
            values[Device.barcode] = new_barcode
            values[Device.needs_label] = True
        if "branch" in changes:
            branch = await branch_by_code(changes["branch"], field="branch")
            values[Device.branch] = branch.id
            if branch.id != row["branch"]:
                values[Device.current_point] = None  # now at the new branch's own desk
        if status is not None:
            out = await Loan.exists().where((Loan.device == row["id"]) & Loan.returned_at.is_null())
            if out:
                raise Conflict(
                    f"Device {barcode} is on loan; check it in before setting it {status}.",
                    Code.DEVICE_ON_LOAN,
                )
            if row["status"] == DeviceStatus.IN_TRANSIT:
                from .transfers import cancel_open_transfer

                await cancel_open_transfer(actor, now, row, reason="device_" + status)
            if row["status"] == DeviceStatus.ON_HOLD_SHELF and status != DeviceStatus.ON_HOLD_SHELF:
                from ..circulation.holds import release_device_from_hold

                await release_device_from_hold(actor, now, row["id"], reason="device_" + status)
            values[Device.status] = status
        if values:
            values[Device.updated_at] = now
            try:
                await Device.update(values).where(Device.id == row["id"])
            except Exception as exc:
                if new_barcode is not None and unique_violation(exc):
                    raise Conflict(
                        f"A device with barcode {new_barcode!r} already exists.",
                        Code.DUPLICATE_BARCODE,
                    ) from None
                raise
            details = {k._meta.name: v for k, v in values.items() if k._meta.name != "updated_at"}
            if "wifi_password" in details:  # printed on the label, but not kept in the trail
                details["wifi_password"] = "(changed)"
            if new_barcode is not None:
                details["old_barcode"] = barcode
                barcode = new_barcode
            await audit.record(actor, "device_updated", barcode, now, _jsonable(details))
        row = await device_by_barcode(barcode)
        current = await _current_loan(row["id"], now)
    view = device_view(row, current)
    view.line = await line_for_device(row["id"])
    return view


def _wifi(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _jsonable(details: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (v if isinstance(v, (str, int, float, bool, type(None))) else str(v))
        for k, v in details.items()
    }
