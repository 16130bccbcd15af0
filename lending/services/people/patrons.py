"""Patrons: cards, contact details, households, blocks and PINs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...circulation import Conflict, FieldError, Invalid, NotFound
from ...circulation.codes import Code
from ...circulation.permissions import Action, patron_change_actions, require
from ...database import write_transaction
from ...schemas.base import PatronOut, PatronSummaryOut
from ...tables import Loan, Patron
from .._common import audit
from .._common.guards import duplicate_is
from .._common.paging import Page, page_of
from .._common.rows import Row
from .._common.sql import contains
from ..access.auth import revoke_all
from ..access.passwords import hash_secret_async
from ..actors import Actor
from ..circulation.holds import hold_rows, hold_view
from ..circulation.loans import loan_rows, loan_view
from ..library.branches import branch_by_code

__all__ = [
    "create_patron",
    "get_patron",
    "households",
    "list_patrons",
    "patron_by_card",
    "patron_view",
    "update_patron",
]

LANGUAGES = ("en", "es")
PATRON_COLUMNS = (
    Patron.all_columns(exclude=[Patron.pin_hash]),
    Patron.branch.code.as_alias("branch_code"),
)


def valid_pin(pin: str) -> str:
    if not (pin.isdigit() and 4 <= len(pin) <= 12):
        raise Invalid(FieldError("pin", "a PIN is 4 to 12 digits"))
    return pin


def valid_language(language: str) -> str:
    if language not in LANGUAGES:
        raise Invalid(FieldError("language", "must be en or es"))
    return language


def valid_email(email: str | None) -> str | None:
    if not email:
        return None
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email:
        raise Invalid(FieldError("email", "not an email address"))
    return email


async def patron_by_card(card_number: str) -> Row:
    row = await Patron.select(*PATRON_COLUMNS).where(Patron.card_number == card_number).first()
    if row is None:
        raise NotFound(f"No patron with card number {card_number!r}.", Code.PATRON_NOT_FOUND)
    return row


def _fields(row: Row) -> dict[str, Any]:
    return {
        "card_number": row["card_number"],
        "name": row["name"],
        "email": row["email"],
        "phone": row["phone"],
        "language": row["language"],
        "household": row["household"],
        "branch": row["branch_code"],
        "expires_on": row["expires_on"],
        "blocked": row["blocked"],
        "block_reason": row["block_reason"],
    }


def patron_view(row: Row) -> PatronSummaryOut:
    return PatronSummaryOut(**_fields(row))


async def get_patron(card_number: str, now: datetime) -> PatronOut:
    row = await patron_by_card(card_number)
    return await _with_loans_and_holds(row, now)


async def _with_loans_and_holds(row: Row, now: datetime) -> PatronOut:
    loans = await loan_rows((Loan.patron == row["id"]) & Loan.returned_at.is_null())
    return PatronOut(
        **_fields(row),
        loans=[loan_view(r, now) for r in loans],
        holds=[hold_view(h) for h in await hold_rows(patron_id=row["id"])],
    )


async def get_patron_by_id(patron_id: int, now: datetime) -> PatronOut:
    row = await Patron.select(*PATRON_COLUMNS).where(Patron.id == patron_id).first()
    if row is None:
        raise NotFound("Your patron record no longer exists.", Code.PATRON_NOT_FOUND)
    return await _with_loans_and_holds(row, now)


async def _contact_values(data: dict[str, Any]) -> Row:
    """The patron columns to write for `data` (validated; the PIN hashed)."""
    values: Row = {}
    if "email" in data:
        values["email"] = valid_email(data["email"])
    if "language" in data and data["language"] is not None:
        values["language"] = valid_language(data["language"])
    for name in ("name", "phone", "household", "expires_on", "block_reason"):
        if name in data:
            values[name] = data[name] or None if name != "name" else data[name]
    if "blocked" in data and data["blocked"] is not None:
        values["blocked"] = data["blocked"]
        if not data["blocked"]:
            values["block_reason"] = None
    if data.get("pin") is not None:
        values["pin_hash"] = await hash_secret_async(valid_pin(data["pin"]))
    if "branch" in data:
        values["branch"] = (
            (await branch_by_code(data["branch"], field="branch")).id if data["branch"] else None
        )
    return values


async def create_patron(actor: Actor, now: datetime, data: dict[str, Any]) -> PatronOut:
    card = data["card_number"]
    require(actor.role, Action.PATRON_CREATE)
    if data.get("blocked"):
        require(actor.role, Action.PATRON_BLOCK)
    values = await _contact_values(data)
    async with write_transaction():
        if await Patron.exists().where(Patron.card_number == card):
            raise Conflict(
                f"A patron with card {card!r} already exists.", Code.DUPLICATE_CARD_NUMBER
            )
        with duplicate_is(
            Conflict(f"A patron with card {card!r} already exists.", Code.DUPLICATE_CARD_NUMBER)
        ):
            await Patron.insert(Patron(card_number=card, created_at=now, **values))
        await audit.record(actor, "patron_created", card, now, patron_card=card)
        row = await patron_by_card(card)
    return await _with_loans_and_holds(row, now)


async def update_patron(actor: Actor, now: datetime, card: str, data: dict[str, Any]) -> PatronOut:
    values = await _contact_values(data)
    async with write_transaction():
        row = await patron_by_card(card)
        for action in patron_change_actions(data, blocked_now=row["blocked"]):
            require(actor.role, action)  # a refusal writes nothing
        if values:
            await Patron.update(values).where(Patron.id == row["id"])
            if "pin_hash" in values:  # a new PIN ends the patron's sessions
                await revoke_all(patron_id=row["id"])
            changed = sorted(k if k != "pin_hash" else "pin" for k in values)
            action = "patron_updated"
            if values.get("blocked") is True:
                action = "patron_blocked"
            elif values.get("blocked") is False and row["blocked"]:
                action = "patron_unblocked"
            details: dict[str, Any] = {"changed": changed}
            if "block_reason" in values and values["block_reason"]:
                details["block_reason"] = values["block_reason"]
            await audit.record(actor, action, card, now, details, patron_card=card)
            row = await patron_by_card(card)
    return await _with_loans_and_holds(row, now)


async def list_patrons(q: str | None = None, limit: int = 50, offset: int = 0) -> Page:
    query = Patron.select(*PATRON_COLUMNS).order_by(Patron.name)
    count = Patron.count()
    if q:
        cond = contains(q, Patron.card_number, Patron.name, Patron.email, Patron.phone)
        query = query.where(cond)
        count = count.where(cond)
    rows = await query.limit(limit).offset(offset)
    return page_of([patron_view(r) for r in rows], await count)


async def households(limit: int = 2000) -> list[str]:
    """The households patrons belong to now, sorted (for picking one at the desk)."""
    rows = await (
        Patron.select(Patron.household)
        .where(Patron.household.is_not_null() & (Patron.household != ""))
        .distinct()
        .order_by(Patron.household)
        .limit(limit)
    )
    return [r["household"] for r in rows]
