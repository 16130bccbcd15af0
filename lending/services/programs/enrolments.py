"""Enrolments in a program and signed borrower agreements: who verified a patron's
eligibility, how and until when (the attestation is kept, never the documents), and what a
checkout under the program would say of them now."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ...circulation import Conflict, FieldError, Invalid, NotFound
from ...circulation.codes import Code
from ...circulation.programs import (
    AgreementFacts,
    EnrolmentFacts,
    ProgramFacts,
    agreement_expires_on,
    standing,
)
from ...database import write_transaction
from ...schemas.programs import AgreementOut, EnrolmentList, EnrolmentOut
from ...tables import Agreement, Attendance, Enrolment, Patron
from .._common import audit
from .._common.guards import duplicate_is
from .._common.render import local_time, zone
from ..actors import Actor
from .catalog import ProgramRecord, program_by_code

__all__ = [
    "enrol",
    "enrolment_facts",
    "list_enrolments",
    "program_facts",
    "sign_agreement",
    "training_hours",
    "update_enrolment",
]

MAX_DRAWING = 20_000


def program_facts(record: ProgramRecord, kind: str, **counts: Any) -> ProgramFacts:
    """The program as its rules see it, for a device of `kind`."""
    return ProgramFacts(
        code=record.code,
        starts_on=record.starts_on,
        ends_on=record.ends_on,
        kinds=record.kinds,
        points=tuple(record.points.values()),
        training_hours=record.training_hours,
        agreement_version=record.agreement_version,
        attestation_required=record.attestation_required,
        terms=record.terms_for(kind),
        **counts,
    )


async def training_hours(program_id: int, patron_ids: list[int]) -> dict[int, float]:
    """Hours of the program's sessions each patron attended."""
    if not patron_ids:
        return {}
    rows = await Attendance.raw(
        "SELECT a.patron, SUM(s.hours) AS hours FROM attendance a "
        "JOIN training_session s ON s.id = a.session "
        "WHERE s.program = {} AND a.attended_at IS NOT NULL AND a.patron IN ("
        + ", ".join("{}" for _ in patron_ids)
        + ") GROUP BY a.patron",
        program_id,
        *patron_ids,
    )
    return {r["patron"]: float(r["hours"] or 0) for r in rows}


async def _agreements(program_id: int, patron_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Each patron's newest signed agreement for the program."""
    if not patron_ids:
        return {}
    rows = (
        await Agreement.select()
        .where((Agreement.program == program_id) & Agreement.patron.is_in(patron_ids))
        .order_by(Agreement.signed_at)
        .order_by(Agreement.id)
    )
    return {r["patron"]: r for r in rows}  # the last one wins


async def enrolment_facts(record: ProgramRecord, patron_id: int) -> EnrolmentFacts | None:
    """The patron's standing in the program as its rules see it (None: not enrolled)."""
    row = (
        await Enrolment.select(Enrolment.expires_on, Enrolment.attested)
        .where((Enrolment.program == record.id) & (Enrolment.patron == patron_id))
        .first()
    )
    if row is None:
        return None
    hours = await training_hours(record.id, [patron_id])
    agreement = (await _agreements(record.id, [patron_id])).get(patron_id)
    return _facts(row, hours.get(patron_id, 0.0), agreement)


def _facts(row: dict[str, Any], hours: float, agreement: dict[str, Any] | None) -> EnrolmentFacts:
    return EnrolmentFacts(
        expires_on=row["expires_on"],
        attested=bool(row["attested"]),
        training_hours=hours,
        agreement=AgreementFacts(agreement["version"], agreement["expires_on"])
        if agreement
        else None,
    )


def _agreement_view(row: dict[str, Any] | None, timezone: str) -> AgreementOut | None:
    if row is None:
        return None
    return AgreementOut(
        version=row["version"],
        signature_kind=row["signature_kind"],
        signed_at=local_time(row["signed_at"], timezone),
        expires_on=row["expires_on"],
        recorded_by=row["recorded_by"],
    )


_COLUMNS = (
    Enrolment.all_columns(),
    Enrolment.patron.card_number.as_alias("card"),
    Enrolment.patron.name.as_alias("name"),
)


async def _views(
    record: ProgramRecord, rows: list[dict[str, Any]], timezone: str, today: date
) -> list[EnrolmentOut]:
    ids = [r["patron"] for r in rows]
    hours = await training_hours(record.id, ids)
    agreements = await _agreements(record.id, ids)
    facts = program_facts(record, record.kinds[0])
    views = []
    for r in rows:
        agreement = agreements.get(r["patron"])
        refusal = standing(facts, _facts(r, hours.get(r["patron"], 0.0), agreement), today)
        views.append(
            EnrolmentOut(
                program=record.code,
                patron=r["card"],
                name=r["name"],
                household=r["household"],
                method=r["method"],
                verified_by=r["verified_by"],
                verified_on=r["verified_on"],
                expires_on=r["expires_on"],
                attested=bool(r["attested"]),
                attested_on=r["attested_on"],
                training_hours=hours.get(r["patron"], 0.0),
                agreement=_agreement_view(agreement, timezone),
                ready=refusal is None,
                refusal=refusal.code if refusal else None,
            )
        )
    return views


async def list_enrolments(
    actor: Actor, now: datetime, code: str, timezone: str, *, limit: int = 50, offset: int = 0
) -> EnrolmentList:
    record = await program_by_code(code, actor)
    where = (Enrolment.program == record.id) & Enrolment.patron.is_not_null()
    rows = (
        await Enrolment.select(*_COLUMNS)
        .where(where)
        .order_by(Enrolment.id)
        .limit(limit)
        .offset(offset)
    )
    today = now.astimezone(zone(timezone)).date()
    items = await _views(record, rows, timezone, today)
    return EnrolmentList(items=items, total=await Enrolment.count().where(where))


async def _patron(card: str, field: str = "patron") -> dict[str, Any]:
    row = (
        await Patron.select(Patron.id, Patron.household, Patron.card_number)
        .where(Patron.card_number == card)
        .first()
    )
    if row is None:
        raise NotFound(f"No patron with card number {card!r}.", Code.PATRON_NOT_FOUND)
    return row


async def _one(record: ProgramRecord, patron_id: int, timezone: str, now: datetime):
    rows = await Enrolment.select(*_COLUMNS).where(
        (Enrolment.program == record.id) & (Enrolment.patron == patron_id)
    )
    today = now.astimezone(zone(timezone)).date()
    return (await _views(record, rows, timezone, today))[0]


async def enrol(
    actor: Actor,
    now: datetime,
    code: str,
    timezone: str,
    *,
    patron: str,
    method: str,
    verified_on: date | None = None,
    expires_on: date | None = None,
    attested: bool = False,
) -> EnrolmentOut:
    """Enrol the patron: `actor` verified their eligibility by `method` on `verified_on`
    (today when not given); it lasts to `expires_on` (the program's end when not given)."""
    today = now.astimezone(zone(timezone)).date()
    async with write_transaction():
        record = await program_by_code(code, actor)
        row = await _patron(patron)
        expires = expires_on if expires_on is not None else record.ends_on
        verified = verified_on or today
        if verified > today:
            raise Invalid(FieldError("verified_on", "must not be in the future"))
        if expires is not None and expires < verified:
            raise Invalid(FieldError("expires_on", "must not be before the verification"))
        duplicate = Conflict(
            f"Patron {patron} is already enrolled in program {code}.", Code.CONFLICT
        )
        if await Enrolment.exists().where(
            (Enrolment.program == record.id) & (Enrolment.patron == row["id"])
        ):
            raise duplicate
        with duplicate_is(duplicate):
            await Enrolment.insert(
                Enrolment(
                    program=record.id,
                    patron=row["id"],
                    household=row["household"],
                    method=method,
                    verified_by=actor.name,
                    verified_on=verified,
                    expires_on=expires,
                    attested=attested,
                    attested_on=today if attested else None,
                    created_at=now,
                )
            )
        await audit.record(
            actor,
            "enrolled",
            patron,
            now,
            {"program": code, "method": method, "attested": attested},
            patron_card=patron,
        )
        return await _one(record, row["id"], timezone, now)


async def update_enrolment(
    actor: Actor, now: datetime, code: str, card: str, timezone: str, changes: dict[str, Any]
) -> EnrolmentOut:
    """Change an enrolment's expiry, method or verification date, or record the funder's
    statement (`attested`)."""
    today = now.astimezone(zone(timezone)).date()
    async with write_transaction():
        record = await program_by_code(code, actor)
        row = await _patron(card)
        current = (
            await Enrolment.select()
            .where((Enrolment.program == record.id) & (Enrolment.patron == row["id"]))
            .first()
        )
        if current is None:
            raise NotFound(f"Patron {card} is not enrolled in program {code}.", Code.NOT_FOUND)
        values: dict[Any, Any] = {}
        for name in ("expires_on", "method", "verified_on"):
            if name in changes:
                values[getattr(Enrolment, name)] = changes[name]
        if changes.get("verified_on") is not None and changes["verified_on"] > today:
            raise Invalid(FieldError("verified_on", "must not be in the future"))
        if "attested" in changes:
            values[Enrolment.attested] = changes["attested"]
            values[Enrolment.attested_on] = today if changes["attested"] else None
        if values:
            values[Enrolment.verified_by] = actor.name
            await Enrolment.update(values).where(Enrolment.id == current["id"])
        details = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in changes.items()}
        await audit.record(
            actor, "enrolment_changed", card, now, {"program": code, **details}, patron_card=card
        )
        return await _one(record, row["id"], timezone, now)


def _drawing(signature: str) -> str:
    """A drawn signature is SVG path data: move/line/curve commands and numbers only."""
    allowed = set("MLHVCSQTZmlhvcsqtz0123456789.,- ")
    if not set(signature) <= allowed or not signature.lstrip().startswith(("M", "m")):
        raise Invalid(FieldError("signature", "a drawing is SVG path data (M x y L x y ...)"))
    return signature


async def sign_agreement(
    actor: Actor,
    now: datetime,
    code: str,
    timezone: str,
    *,
    patron: str,
    signature_kind: str,
    signature: str,
) -> EnrolmentOut:
    """Record the patron's signature on the program's current agreement (typed name or a
    drawing from the desk screen). It runs a year, or to the program's set date."""
    today = now.astimezone(zone(timezone)).date()
    signature = signature.strip()
    if signature_kind == "drawn":
        _drawing(signature)
    elif not signature or len(signature) > 200:
        raise Invalid(FieldError("signature", "a typed name of 1-200 characters"))
    async with write_transaction():
        record = await program_by_code(code, actor)
        if record.agreement_version is None:
            raise Invalid(FieldError("program", f"program {code} has no borrower agreement"))
        row = await _patron(patron)
        if not await Enrolment.exists().where(
            (Enrolment.program == record.id) & (Enrolment.patron == row["id"])
        ):
            raise Conflict(f"Patron {patron} is not enrolled in program {code}.", Code.NOT_ENROLLED)
        expires = agreement_expires_on(today, record.agreement_expires_on)
        if expires < today:
            raise Invalid(FieldError("program", "the program's agreement date has passed"))
        await Agreement.insert(
            Agreement(
                program=record.id,
                patron=row["id"],
                version=record.agreement_version,
                signature_kind=signature_kind,
                signature=signature,
                signed_at=now,
                expires_on=expires,
                recorded_by=actor.name,
            )
        )
        await audit.record(
            actor,
            "agreement_signed",
            patron,
            now,
            {"program": code, "version": record.agreement_version, "kind": signature_kind},
            patron_card=patron,
        )
        return await _one(record, row["id"], timezone, now)
