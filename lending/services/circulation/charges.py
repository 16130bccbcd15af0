"""Charges: money a patron owes for a loan (a lost device's replacement cost, missing kit parts)."""

from __future__ import annotations

from typing import Any

from ...tables import Charge
from .._common.render import cents_to_amount, render_time

__all__ = ["patron_charges"]


async def patron_charges(card_number: str, *, timezone: str, limit: int = 100) -> list[dict]:
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
    rows.sort(key=lambda r: r["status"] != "open")
    return [_view(r, timezone) for r in rows]


def _view(row: dict[str, Any], timezone: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "amount": cents_to_amount(row["amount_cents"]),
        "status": row["status"],
        "device": row["device"],
        "created_at": render_time(row["created_at"], timezone),
        "closed_at": render_time(row["closed_at"], timezone),
    }
