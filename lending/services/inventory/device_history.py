"""A device's whole history for the admin console: its loans, the audit events about it (its
own and its loans'), and the carrier line in it with the line's moves in and out of it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from msgspec import Struct

from ...schemas.base import DeviceOut, LoanOut
from ...tables import Event, LineMove, Loan
from .._common.render import local_time
from ..circulation.loans import loan_rows, loan_view
from .devices import device_by_barcode, get_device

__all__ = ["DeviceEvent", "DeviceHistory", "DeviceLineMove", "device_history"]

SHOWN = 200  # the latest loans and events shown on the page


class DeviceEvent(Struct, kw_only=True):
    """An audit event about the device or one of its loans (`details` as recorded)."""

    at: datetime
    actor: str
    action: str
    subject: str
    loan: int | None
    details: dict[str, Any]


class DeviceLineMove(Struct, kw_only=True):
    """A carrier line put into or taken out of the device."""

    at: datetime
    actor: str
    iccid: str
    from_device: str | None
    to_device: str | None


class DeviceHistory(Struct, kw_only=True):
    device: DeviceOut
    timezone: str  # the device's branch's
    created_at: datetime
    updated_at: datetime
    loans: list[LoanOut]  # the latest SHOWN
    loan_total: int
    events: list[DeviceEvent]  # the latest SHOWN
    line_moves: list[DeviceLineMove]


def _event(row: dict[str, Any], timezone: str) -> DeviceEvent:
    details = dict(row["details"] or {})
    if row["patron_card"]:
        details.setdefault("patron", row["patron_card"])
    return DeviceEvent(
        at=local_time(row["at"], timezone),
        actor=row["actor"],
        action=row["action"],
        subject=row["subject"],
        loan=row["loan"],
        details=details,
    )


async def device_history(barcode: str, now: datetime) -> DeviceHistory:
    """The device (as the API shows it) with `loans`, `events`, `line_moves` and the totals."""
    row = await device_by_barcode(barcode)
    timezone = row["branch_timezone"]
    device = await get_device(barcode, now)
    loans = await loan_rows(Loan.device == row["id"], limit=SHOWN)
    loan_total = await Loan.count().where(Loan.device == row["id"])
    loan_ids = [loan["id"] for loan in loans]
    about = Event.subject == barcode
    if loan_ids:
        about = about | Event.loan.is_in(loan_ids)
    events = (
        await Event.select()
        .where(about)
        .order_by(Event.id, ascending=False)
        .limit(SHOWN)
        .output(load_json=True)
    )
    moves = (
        await LineMove.select(
            LineMove.at,
            LineMove.actor,
            LineMove.line.iccid.as_alias("iccid"),
            LineMove.from_device.barcode.as_alias("from_device"),
            LineMove.to_device.barcode.as_alias("to_device"),
        )
        .where((LineMove.from_device == row["id"]) | (LineMove.to_device == row["id"]))
        .order_by(LineMove.id, ascending=False)
        .limit(SHOWN)
    )
    return DeviceHistory(
        device=device,
        timezone=timezone,
        created_at=local_time(row["created_at"], timezone),
        updated_at=local_time(row["updated_at"], timezone),
        loans=[loan_view(loan, now) for loan in loans],
        loan_total=loan_total,
        events=[_event(e, timezone) for e in events],
        line_moves=[
            DeviceLineMove(
                at=local_time(m["at"], timezone),
                actor=m["actor"],
                iccid=m["iccid"],
                from_device=m["from_device"],
                to_device=m["to_device"],
            )
            for m in moves
        ],
    )
