"""What a self-check kiosk shows a patron about their own account, and what it looks up about a
device: typed facts for the SIP2 edge (lending/sip2), read in one place."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

from ...circulation import OPEN_HOLD_STATUSES, ChargeStatus, HoldStatus, LoanStatus, is_overdue
from ...tables import Charge, Device, Hold, Loan, Patron

__all__ = [
    "HeldItem",
    "ItemFacts",
    "LentItem",
    "PatronAccount",
    "item_facts",
    "patron_account",
    "patron_language",
    "title_of",
]


class LentItem(msgspec.Struct, kw_only=True, frozen=True):
    loan: int
    barcode: str
    title: str
    due_at: datetime
    overdue: bool
    lost: bool


class HeldItem(msgspec.Struct, kw_only=True, frozen=True):
    kind: str
    status: str
    barcode: str | None  # the device waiting on the hold shelf, when ready


class PatronAccount(msgspec.Struct, kw_only=True, frozen=True):
    id: int
    card_number: str
    name: str
    email: str | None
    phone: str | None
    language: str
    blocked: bool
    block_reason: str | None
    expires_on: date | None
    has_pin: bool
    loans: list[LentItem]
    holds: list[HeldItem]
    fees_cents: int

    def expired(self, today: date) -> bool:
        return self.expires_on is not None and self.expires_on < today


async def patron_language(card_number: str | None) -> str:
    """The patron's language for what a kiosk's screen says ("en" when unknown)."""
    if not card_number:
        return "en"
    row = await Patron.select(Patron.language).where(Patron.card_number == card_number).first()
    return (row["language"] if row else None) or "en"


def title_of(model: str | None, kind: str) -> str:
    return f"{model} ({kind})" if model else kind


async def patron_account(card_number: str, now: datetime) -> PatronAccount | None:
    patron = (
        await Patron.select(
            Patron.id,
            Patron.card_number,
            Patron.name,
            Patron.email,
            Patron.phone,
            Patron.language,
            Patron.blocked,
            Patron.block_reason,
            Patron.expires_on,
            Patron.pin_hash,
        )
        .where(Patron.card_number == card_number)
        .first()
    )
    if patron is None:
        return None
    loans = (
        await Loan.select(
            Loan.id,
            Loan.kind,
            Loan.due_at,
            Loan.status,
            Loan.device.barcode.as_alias("barcode"),
            Loan.device.model.as_alias("model"),
        )
        .where((Loan.patron == patron["id"]) & Loan.returned_at.is_null())
        .order_by(Loan.due_at)
    )
    holds = await Hold.select(
        Hold.kind, Hold.status, Hold.device.barcode.as_alias("barcode")
    ).where((Hold.patron == patron["id"]) & Hold.status.is_in(list(OPEN_HOLD_STATUSES)))
    charges = await Charge.select(Charge.amount_cents).where(
        (Charge.patron == patron["id"]) & (Charge.status == ChargeStatus.OPEN)
    )
    return PatronAccount(
        id=patron["id"],
        card_number=patron["card_number"],
        name=patron["name"],
        email=patron["email"],
        phone=patron["phone"],
        language=patron["language"] or "en",
        blocked=patron["blocked"],
        block_reason=patron["block_reason"],
        expires_on=patron["expires_on"],
        has_pin=patron["pin_hash"] is not None,
        loans=[
            LentItem(
                loan=r["id"],
                barcode=r["barcode"],
                title=title_of(r["model"], r["kind"]),
                due_at=r["due_at"],
                overdue=r["status"] == LoanStatus.ACTIVE and is_overdue(r["due_at"], now),
                lost=r["status"] == LoanStatus.LOST,
            )
            for r in loans
        ],
        holds=[
            HeldItem(
                kind=h["kind"],
                status=h["status"],
                barcode=h["barcode"] if h["status"] == HoldStatus.READY else None,
            )
            for h in holds
        ],
        fees_cents=sum(c["amount_cents"] for c in charges),
    )


class ItemFacts(msgspec.Struct, kw_only=True, frozen=True):
    barcode: str
    title: str
    kind: str
    status: str
    branch_code: str
    due_at: datetime | None
    waiting: int  # patrons waiting for the kind at its branch


async def item_facts(barcode: str) -> ItemFacts | None:
    device = (
        await Device.select(
            Device.id,
            Device.barcode,
            Device.kind,
            Device.model,
            Device.status,
            Device.branch,
            Device.branch.code.as_alias("branch_code"),
        )
        .where(Device.barcode == barcode)
        .first()
    )
    if device is None:
        return None
    loan = (
        await Loan.select(Loan.due_at)
        .where((Loan.device == device["id"]) & Loan.returned_at.is_null())
        .first()
    )
    waiting = await Hold.count().where(
        (Hold.kind == device["kind"])
        & (Hold.branch == device["branch"])
        & (Hold.status == HoldStatus.WAITING)
    )
    return ItemFacts(
        barcode=device["barcode"],
        title=title_of(device["model"], device["kind"]),
        kind=device["kind"],
        status=device["status"],
        branch_code=device["branch_code"],
        due_at=loan["due_at"] if loan else None,
        waiting=waiting,
    )
