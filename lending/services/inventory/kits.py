"""Kits: a device's parts (charger, cable, case, SIM...), what went out with a loan, and what
came back. A missing or damaged part is charged to the loan and noted on the device."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from msgspec import Struct, structs

from ...circulation import Conflict, FieldError, Invalid, NotFound, PartOutcome, PartStatus
from ...circulation.codes import Code
from ...circulation.inventory import (
    PART_CHARGE_KINDS,
    KitPartFacts,
    part_outcomes,
    resolve_parts,
)
from ...circulation.states import ChargeStatus
from ...database import is_postgres, write_transaction
from ...schemas.base import ChargeBriefOut, KitItemOut
from ...schemas.inventory import LoanKitOut
from ...tables import Charge, Device, KitPart, Loan, LoanPart
from .._common import audit
from .._common.render import cents_to_amount, local_time
from .._common.rows import Row
from ..actors import Actor

__all__ = ["PartNote", "loan_kit", "record_part_outcomes", "record_return", "send_out_parts"]

# Checkout: every present part of the device goes out with the loan.
SEND_OUT = (
    "INSERT INTO loan_part (loan, part, outcome, charge, checked_at, checked_by) "
    f"SELECT {{}}, id, '{PartOutcome.OUT}', NULL, NULL, '' FROM kit_part "
    f"WHERE device = {{}} AND status = '{PartStatus.PRESENT}' RETURNING id"
)


class PartNote(Struct, kw_only=True):
    """A part that came back missing or damaged, and its charge: noted on the device and
    in the audit event (`structs.asdict`)."""

    part: str  # its name
    outcome: PartOutcome
    charge: int  # the charge's id


async def send_out_parts(loan_id: int, device_id: int) -> int:
    """Checkout: record every present part of the device as gone out with the loan (one
    statement, inside the checkout's transaction). Returns how many."""
    rows = await LoanPart.raw(SEND_OUT, loan_id, device_id)
    return len(rows)


async def _checklist(loan_id: int) -> list[KitItemOut]:
    rows = await (
        LoanPart.select(
            LoanPart.id,
            LoanPart.part,
            LoanPart.outcome,
            LoanPart.charge,
            LoanPart.checked_at,
            LoanPart.checked_by,
            LoanPart.part.name.as_alias("name"),
            LoanPart.part.barcode.as_alias("barcode"),
            LoanPart.part.replacement_cost_cents.as_alias("cost"),
        )
        .where(LoanPart.loan == loan_id)
        .order_by(LoanPart.part)
    )
    charge_ids = [r["charge"] for r in rows if r["charge"] is not None]
    charges = {}
    if charge_ids:
        for c in await Charge.select().where(Charge.id.is_in(charge_ids)):
            charges[c["id"]] = ChargeBriefOut(
                id=c["id"],
                kind=c["kind"],
                amount=cents_to_amount(c["amount_cents"]),
                status=ChargeStatus(c["status"]),
            )
    return [
        KitItemOut(
            part=r["part"],
            name=r["name"],
            barcode=r["barcode"],
            replacement_cost=cents_to_amount(r["cost"]),
            outcome=PartOutcome(r["outcome"]),
            checked_at=local_time(r["checked_at"], "UTC"),
            checked_by=r["checked_by"] or None,
            charge=charges.get(r["charge"]),
        )
        for r in rows
    ]


async def loan_kit(loan_id: int) -> LoanKitOut:
    if not await Loan.exists().where(Loan.id == loan_id):
        raise NotFound(f"No loan with id {loan_id}.", Code.LOAN_NOT_FOUND)
    items = await _checklist(loan_id)
    return LoanKitOut(loan=loan_id, items=items, total=len(items))


async def _set_outcome(
    actor: Actor, now: datetime, loan: dict[str, Any], lp: dict[str, Any], outcome: str
) -> PartNote | None:
    """Write one part's outcome: charge (or waive) it, set the part's status, and return a
    note for the device when it is missing or damaged."""
    charge_id = lp["charge"]
    if charge_id is not None and outcome not in PART_CHARGE_KINDS:  # found after all
        await Charge.update({Charge.status: ChargeStatus.WAIVED, Charge.closed_at: now}).where(
            (Charge.id == charge_id) & (Charge.status == ChargeStatus.OPEN)
        )
        charge_id = None
    if outcome in PART_CHARGE_KINDS:
        kind = PART_CHARGE_KINDS[outcome]
        if charge_id is not None:
            await Charge.update({Charge.kind: kind}).where(Charge.id == charge_id)
        else:
            inserted = await Charge.insert(
                Charge(
                    loan=loan["id"],
                    patron=loan["patron"],
                    kind=kind,
                    amount_cents=lp["cost"],
                    status=ChargeStatus.OPEN,
                    created_at=now,
                )
            ).returning(Charge.id)
            charge_id = inserted[0]["id"]
    await LoanPart.update(
        {
            LoanPart.outcome: outcome,
            LoanPart.charge: charge_id,
            LoanPart.checked_at: now,
            LoanPart.checked_by: actor.name,
        }
    ).where(LoanPart.id == lp["id"])
    part_status = PartStatus.PRESENT if outcome == PartOutcome.RETURNED else PartStatus(outcome)
    await KitPart.update({KitPart.status: part_status, KitPart.updated_at: now}).where(
        KitPart.id == lp["part"]
    )
    if outcome in PART_CHARGE_KINDS:
        return PartNote(part=lp["name"], outcome=PartOutcome(outcome), charge=charge_id)
    return None


async def _apply(
    actor: Actor,
    now: datetime,
    loan: dict[str, Any],
    device_id: int,
    outcomes: dict[int, str],
    rows: list[dict[str, Any]],
) -> list[PartNote]:
    notes = []
    by_part = {r["part"]: r for r in rows}
    for part_id, outcome in outcomes.items():
        lp = by_part[part_id]
        if lp["outcome"] == outcome:
            continue
        note = await _set_outcome(actor, now, loan, lp, outcome)
        if note:
            notes.append(note)
    if notes:
        day = now.date().isoformat()
        text = "; ".join(f"{n.part} {n.outcome}" for n in notes)
        await Device.raw(
            "UPDATE device SET notes = CASE WHEN notes = '' THEN {} ELSE notes || {} END "
            "WHERE id = {}",
            f"{day}: {text} at return of loan {loan['id']}",
            f"\n{day}: {text} at return of loan {loan['id']}",
            device_id,
        )
    return notes


async def _loan_parts(loan_id: int) -> list[Row]:
    return await LoanPart.select(
        LoanPart.id,
        LoanPart.part,
        LoanPart.outcome,
        LoanPart.charge,
        LoanPart.part.name.as_alias("name"),
        LoanPart.part.barcode.as_alias("barcode"),
        LoanPart.part.replacement_cost_cents.as_alias("cost"),
    ).where(LoanPart.loan == loan_id)


def _facts(rows: list[dict[str, Any]]) -> list[KitPartFacts]:
    return [KitPartFacts(r["part"], r["name"], r["barcode"]) for r in rows]


async def record_return(
    actor: Actor,
    now: datetime,
    loan: dict[str, Any],
    device_id: int,
    missing: list[str],
    damaged: list[str],
) -> tuple[list[KitItemOut], list[PartNote]]:
    """Checkin: the parts that went out come back, except those reported missing or damaged.
    Runs inside the checkin's transaction. Returns (checklist, notes)."""
    rows = await _loan_parts(loan["id"])
    if not rows and not missing and not damaged:
        return [], []
    facts = _facts(rows)
    outcomes = part_outcomes(
        [r["part"] for r in rows if r["outcome"] == PartOutcome.OUT],
        resolve_parts(missing, facts, "missing_parts"),
        resolve_parts(damaged, facts, "damaged_parts"),
    )
    notes = await _apply(actor, now, loan, device_id, outcomes, rows)
    return await _checklist(loan["id"]), notes


async def record_part_outcomes(
    actor: Actor,
    now: datetime,
    loan_id: int,
    *,
    missing: list[str],
    damaged: list[str],
    returned: list[str],
) -> LoanKitOut:
    """Record or correct part outcomes of a returned loan, while it is still the device's
    latest loan (a part found later is set `returned`, and its charge waived)."""
    async with write_transaction():
        query = Loan.select(Loan.id, Loan.patron, Loan.device, Loan.returned_at).where(
            Loan.id == loan_id
        )
        if is_postgres():
            query = query.lock_rows(of=(Loan,))
        loan = await query.first()
        if loan is None:
            raise NotFound(f"No loan with id {loan_id}.", Code.LOAN_NOT_FOUND)
        if loan["returned_at"] is None:
            raise Conflict(
                "Check the device in before recording its parts.", Code.LOAN_NOT_RETURNED
            )
        later = await Loan.exists().where((Loan.device == loan["device"]) & (Loan.id > loan_id))
        if later:
            raise Conflict(
                "The device has been lent again since; this loan's parts can no longer change.",
                Code.LOAN_SUPERSEDED,
            )
        rows = await _loan_parts(loan_id)
        facts = _facts(rows)
        found = set(resolve_parts(returned, facts, "returned"))
        miss = resolve_parts(missing, facts, "missing_parts")
        dmg = resolve_parts(damaged, facts, "damaged_parts")
        if found & (set(miss) | set(dmg)):
            raise Invalid(FieldError("returned", "a part cannot be returned and missing/damaged"))
        outcomes = part_outcomes([*miss, *dmg, *found], miss, dmg)
        notes = await _apply(actor, now, loan, loan["device"], outcomes, rows)
        device = await Device.select(Device.barcode).where(Device.id == loan["device"]).first()
        await audit.record(
            actor,
            "kit_checked",
            device["barcode"],
            now,
            {
                "loan": loan_id,
                "outcomes": {str(k): v for k, v in outcomes.items()},
                "notes": [structs.asdict(n) for n in notes],
            },
            loan=loan_id,
        )
        items = await _checklist(loan_id)
    return LoanKitOut(loan=loan_id, items=items, total=len(items))
