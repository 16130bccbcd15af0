"""Lending under a program: which program a checkout is under, the facts its rules need (read
with the program locked, so the last device of its stock or quota is lent once) and its terms.
Called by checkout (services/circulation/transactions.py) inside its transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ...circulation import Refusal
from ...circulation.codes import Code
from ...circulation.programs import ProgramTerms, can_lend_under, choose_program
from ...database import is_postgres
from ...tables import Device, Enrolment, Loan, Program, ProgramTerm
from ..actors import Actor
from .catalog import TERM_FIELDS, ProgramRecord, parse_kinds, program_by_code
from .enrolments import enrolment_facts, program_facts
from .scope import partner_programs, require_program

__all__ = ["ProgramLoan", "program_for_checkout", "program_terms"]


@dataclass(frozen=True)
class ProgramLoan:
    program: ProgramRecord
    terms: ProgramTerms

    @property
    def only_point(self) -> str | None:
        """The program's one service point, where a checkout that names none happens."""
        points = list(self.program.points.values())
        return points[0] if len(points) == 1 else None


async def _enrolled_codes(actor: Actor, patron_id: int, kind: str, today: date) -> tuple[str, ...]:
    """The programs the patron is enrolled in that lend `kind` and have not ended (partner
    staff: their partner's only)."""
    rows = await Enrolment.select(
        Enrolment.program.id.as_alias("id"),
        Enrolment.program.code.as_alias("code"),
        Enrolment.program.kinds.as_alias("kinds"),
        Enrolment.program.ends_on.as_alias("ends_on"),
    ).where(Enrolment.patron == patron_id)
    allowed = await partner_programs(actor)
    return tuple(
        sorted(
            r["code"]
            for r in rows
            if kind in parse_kinds(r["kinds"])
            and (r["ends_on"] is None or r["ends_on"] >= today)
            and (allowed is None or r["id"] in allowed)
        )
    )


async def _lock_program(program_id: int) -> None:
    """Checkouts under one program wait for each other (its quota and household counts)."""
    if is_postgres():
        await Program.raw("SELECT pg_advisory_xact_lock(hashtext({}))", f"program:{program_id}")


async def _counts(
    record: ProgramRecord, kind: str, patron_id: int, household: str | None, device_id: int
) -> dict[str, Any]:
    open_loans = Loan.returned_at.is_null() & (Loan.program == record.id)
    whose = (Loan.patron.household == household) if household else (Loan.patron == patron_id)
    assigned = await Device.count().where((Device.program == record.id) & (Device.kind == kind))
    device_assigned = await Device.exists().where(
        (Device.id == device_id) & (Device.program == record.id)
    )
    return {
        "open_loans_of_kind": await Loan.count().where(open_loans & (Loan.kind == kind)),
        "household_open_loans": await Loan.count().where(open_loans & whose),
        "assigned_stock": assigned > 0,
        "device_assigned": device_assigned,
    }


async def program_for_checkout(
    actor: Actor,
    *,
    chosen: str | None,
    patron_id: int,
    household: str | None,
    device_id: int,
    device_program: int | None,
    kind: str,
    point: str | None,
    today: date,
) -> ProgramLoan | None:
    """The program this checkout is under and its terms (None: no program), or the refusal
    raised: the program's requirements are checked here, the library's rules after."""
    device_code = None
    if device_program is not None:
        device_code = (
            await Program.select(Program.code).where(Program.id == device_program).first()
        )["code"]
    enrolled = await _enrolled_codes(actor, patron_id, kind, today)
    code, refusal = choose_program(chosen, device_code, enrolled)
    if refusal is not None:
        raise refusal.error()
    if code is None:
        if actor.partner_id is not None:
            raise Refusal(
                Code.NOT_ENROLLED,
                f"The patron is not enrolled in any of the partner's programs that lend {kind}s.",
            ).error()
        return None
    record = await program_by_code(code, field="program" if chosen else None)
    await require_program(actor, record.id, "lend")
    await _lock_program(record.id)
    counts = await _counts(record, kind, patron_id, household, device_id)
    facts = program_facts(record, kind, **counts)
    enrolment = await enrolment_facts(record, patron_id)
    refusal = can_lend_under(facts, enrolment, kind, point, today)
    if refusal is not None:
        raise refusal.error()
    return ProgramLoan(record, record.terms_for(kind))


async def program_terms(program_id: int, kind: str) -> ProgramTerms:
    """The terms a loan under the program keeps (its renewals)."""
    row = (
        await ProgramTerm.select()
        .where((ProgramTerm.program == program_id) & (ProgramTerm.kind == kind))
        .first()
    )
    if row is None:
        return ProgramTerms()
    return ProgramTerms(**{f: row[f] for f in TERM_FIELDS})
