"""Charges: money a patron owes for a loan (a lost device's replacement cost, missing kit parts)."""

from __future__ import annotations

from datetime import datetime

from msgspec import Struct

from ...circulation import ChargeStatus
from ...tables import Charge
from .._common.render import cents_to_amount, local_time
from .._common.rows import Row

__all__ = ["PatronCharge", "patron_charges"]


class PatronCharge(Struct, kw_only=True):
    id: int
    kind: str
    amount: float
    status: ChargeStatus
    device: str | None
    created_at: datetime
    closed_at: datetime | None


async def patron_charges(
    card_number: str, *, timezone: str, limit: int = 100
) -> list[PatronCharge]:
    """The patron's charges, open ones first, then newest first."""
    rows = await (
        Charge.select(
            Charge.id,
            Charge.kind,
            Charge.amount_cents,
            Charge.status,
            Charge.created_at,
            Charge.closed_at,
            Charge.loan.device.barcode.as_alias("device"),
        )
        .where(Charge.patron.card_number == card_number)
        .order_by(Charge.id, ascending=False)
        .limit(limit)
    )
    rows.sort(key=lambda r: r["status"] != ChargeStatus.OPEN)
    return [_view(r, timezone) for r in rows]


def _view(row: Row, timezone: str) -> PatronCharge:
    return PatronCharge(
        id=row["id"],
        kind=row["kind"],
        amount=cents_to_amount(row["amount_cents"]),
        status=ChargeStatus(row["status"]),
        device=row["device"],
        created_at=local_time(row["created_at"], timezone),
        closed_at=local_time(row["closed_at"], timezone),
    )
