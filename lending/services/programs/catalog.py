"""Programs: what they lend, where, to whom, on what terms, and the devices in their stock."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from msgspec import Struct

from ...circulation import Conflict, DeviceStatus, FieldError, Invalid, NotFound
from ...circulation.codes import Code
from ...circulation.programs import ProgramTerms
from ...database import write_transaction
from ...schemas.programs import ProgramList, ProgramOut, StockOut, TermsIn, TermsOut
from ...tables import (
    Device,
    Enrolment,
    Partner,
    Program,
    ProgramPartner,
    ProgramPoint,
    ProgramTerm,
    ServicePoint,
)
from .._common import audit
from .._common.guards import duplicate_is
from ..actors import Actor
from .scope import partner_programs

__all__ = [
    "ProgramRecord",
    "assign_stock",
    "create_program",
    "get_program",
    "list_programs",
    "parse_kinds",
    "program_by_code",
    "release_stock",
    "update_program",
]

TERM_FIELDS = ("loan_days", "renewal_days", "max_renewals", "household_limit", "quota")


class ProgramRecord(Struct, kw_only=True, frozen=True):
    """A program as other services need it."""

    id: int
    code: str
    name: str
    funder: str
    starts_on: date
    ends_on: date | None
    kinds: tuple[str, ...]
    points: dict[int, str]  # service point id -> code; empty: any
    partners: tuple[str, ...]
    training_hours: float
    agreement_version: str | None
    agreement_expires_on: date | None
    attestation_required: bool
    terms: dict[str, ProgramTerms]

    def terms_for(self, kind: str) -> ProgramTerms:
        return self.terms.get(kind, ProgramTerms())


def parse_kinds(raw: Any) -> tuple[str, ...]:
    return tuple(json.loads(raw) if isinstance(raw, str) else raw or ())


async def _records(rows: list[dict[str, Any]]) -> list[ProgramRecord]:
    ids = [r["id"] for r in rows]
    points: dict[int, dict[int, str]] = {i: {} for i in ids}
    partners: dict[int, list[str]] = {i: [] for i in ids}
    terms: dict[int, dict[str, ProgramTerms]] = {i: {} for i in ids}
    if ids:
        for p in await ProgramPoint.select(
            ProgramPoint.program,
            ProgramPoint.service_point,
            ProgramPoint.service_point.code.as_alias("code"),
        ).where(ProgramPoint.program.is_in(ids)):
            points[p["program"]][p["service_point"]] = p["code"]
        for p in await ProgramPartner.select(
            ProgramPartner.program, ProgramPartner.partner.code.as_alias("code")
        ).where(ProgramPartner.program.is_in(ids)):
            partners[p["program"]].append(p["code"])
        for t in await ProgramTerm.select().where(ProgramTerm.program.is_in(ids)):
            terms[t["program"]][t["kind"]] = ProgramTerms(**{f: t[f] for f in TERM_FIELDS})
    return [
        ProgramRecord(
            id=r["id"],
            code=r["code"],
            name=r["name"],
            funder=r["funder"],
            starts_on=r["starts_on"],
            ends_on=r["ends_on"],
            kinds=parse_kinds(r["kinds"]),
            points=points[r["id"]],
            partners=tuple(sorted(partners[r["id"]])),
            training_hours=float(r["training_hours"]),
            agreement_version=r["agreement_version"],
            agreement_expires_on=r["agreement_expires_on"],
            attestation_required=bool(r["attestation_required"]),
            terms=terms[r["id"]],
        )
        for r in rows
    ]


async def program_by_code(
    code: str, actor: Actor | None = None, *, field: str | None = None
) -> ProgramRecord:
    """The program; NotFound (404), or Invalid (422) on `field` when it came in a body. Partner
    staff find only their partner's programs (another's is not found, as if it did not exist)."""
    row = await Program.select().where(Program.code == code).first()
    allowed = await partner_programs(actor) if actor is not None else None
    if row is None or (allowed is not None and row["id"] not in allowed):
        if field:
            raise Invalid(FieldError(field, f"no program with code {code!r}"))
        raise NotFound(f"No program with code {code!r}.", Code.PROGRAM_NOT_FOUND)
    return (await _records([row]))[0]


async def _view(record: ProgramRecord) -> ProgramOut:
    stock = await Device.count().where(Device.program == record.id)
    enrolled = await Enrolment.count().where(
        (Enrolment.program == record.id) & Enrolment.patron.is_not_null()
    )
    return ProgramOut(
        code=record.code,
        name=record.name,
        funder=record.funder,
        starts_on=record.starts_on,
        ends_on=record.ends_on,
        kinds=list(record.kinds),
        partners=list(record.partners),
        points=sorted(record.points.values()),
        training_hours=record.training_hours,
        agreement_version=record.agreement_version,
        agreement_expires_on=record.agreement_expires_on,
        attestation_required=record.attestation_required,
        terms=[
            TermsOut(kind=kind, **{f: getattr(t, f) for f in TERM_FIELDS})
            for kind, t in sorted(record.terms.items())
        ],
        stock=stock,
        enrolled=enrolled,
    )


async def get_program(code: str, actor: Actor) -> ProgramOut:
    return await _view(await program_by_code(code, actor))


async def list_programs(actor: Actor, *, limit: int = 50, offset: int = 0) -> ProgramList:
    query = Program.select().order_by(Program.code)
    count = Program.count()
    allowed = await partner_programs(actor)
    if allowed is not None:
        query = query.where(Program.id.is_in(list(allowed) or [0]))
        count = count.where(Program.id.is_in(list(allowed) or [0]))
    rows = await query.limit(limit).offset(offset)
    items = [await _view(r) for r in await _records(rows)]
    return ProgramList(items=items, total=await count)


def _check(values: dict[str, Any]) -> None:
    starts, ends = values.get("starts_on"), values.get("ends_on")
    if starts is not None and ends is not None and ends < starts:
        raise Invalid(FieldError("ends_on", "must not be before starts_on"))
    kinds = values.get("kinds")
    for kind in values.get("terms") or {}:
        if kinds is not None and kind not in kinds:
            raise Invalid(FieldError(f"terms.{kind}", "is not one of the program's kinds"))


async def _ids(table, codes: list[str], field: str, what: str) -> list[int]:
    rows = await table.select(table.id, table.code).where(table.code.is_in(codes or [""]))
    found = {r["code"]: r["id"] for r in rows}
    for code in codes:
        if code not in found:
            raise Invalid(FieldError(field, f"no {what} with code {code!r}"))
    return [found[c] for c in dict.fromkeys(codes)]


async def _write_links(program_id: int, values: dict[str, Any]) -> None:
    """Partners, points and terms as given (each replaces what was there)."""
    if "partners" in values:
        ids = await _ids(Partner, values["partners"], "partners", "partner organisation")
        await ProgramPartner.delete().where(ProgramPartner.program == program_id)
        if ids:
            await ProgramPartner.insert(
                *[ProgramPartner(program=program_id, partner=i) for i in ids]
            )
    if "points" in values:
        ids = await _ids(ServicePoint, values["points"], "points", "service point")
        await ProgramPoint.delete().where(ProgramPoint.program == program_id)
        if ids:
            await ProgramPoint.insert(
                *[ProgramPoint(program=program_id, service_point=i) for i in ids]
            )
    if "terms" in values:
        await ProgramTerm.delete().where(ProgramTerm.program == program_id)
        terms: dict[str, TermsIn] = values["terms"]
        if terms:
            await ProgramTerm.insert(
                *[
                    ProgramTerm(
                        program=program_id, kind=kind, **{f: getattr(t, f) for f in TERM_FIELDS}
                    )
                    for kind, t in terms.items()
                ]
            )


_COLUMNS = (
    "name",
    "funder",
    "starts_on",
    "ends_on",
    "training_hours",
    "agreement_version",
    "agreement_expires_on",
    "attestation_required",
)


def _audit_values(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key == "terms":
            out[key] = {k: {f: getattr(t, f) for f in TERM_FIELDS} for k, t in value.items()}
        elif isinstance(value, date):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


async def create_program(actor: Actor, now: datetime, values: dict[str, Any]) -> ProgramOut:
    _check(values)
    code = values["code"]
    duplicate = Conflict(f"A program with code {code!r} already exists.", Code.DUPLICATE_PROGRAM)
    async with write_transaction():
        if await Program.exists().where(Program.code == code):
            raise duplicate
        with duplicate_is(duplicate):
            inserted = await Program.insert(
                Program(
                    code=code,
                    kinds=json.dumps(list(dict.fromkeys(values["kinds"]))),
                    created_at=now,
                    **{c: values[c] for c in _COLUMNS if c in values},
                )
            ).returning(Program.id)
        await _write_links(inserted[0]["id"], values)
        await audit.record(actor, "program_added", code, now, _audit_values(values))
        record = await program_by_code(code)
        return await _view(record)


async def update_program(
    actor: Actor, now: datetime, code: str, changes: dict[str, Any]
) -> ProgramOut:
    async with write_transaction():
        record = await program_by_code(code)
        merged = {
            "starts_on": record.starts_on,
            "ends_on": record.ends_on,
            "kinds": list(record.kinds),
            **changes,
        }
        if "terms" in changes or "kinds" in changes:
            merged.setdefault("terms", dict.fromkeys(record.terms))
        _check(merged)
        columns: dict[Any, Any] = {
            getattr(Program, c): changes[c] for c in _COLUMNS if c in changes
        }
        if "kinds" in changes:
            columns[Program.kinds] = json.dumps(list(dict.fromkeys(changes["kinds"])))
        if columns:
            await Program.update(columns).where(Program.id == record.id)
        await _write_links(record.id, changes)
        await audit.record(actor, "program_changed", code, now, _audit_values(changes))
        return await _view(await program_by_code(code))


async def assign_stock(actor: Actor, now: datetime, code: str, barcodes: list[str]) -> StockOut:
    """Put devices in the program's stock: they are then lent only under it. A device of a kind
    the program does not lend, or in another program's stock, is refused; nothing is written."""
    async with write_transaction():
        record = await program_by_code(code)
        rows = await Device.select(
            Device.id, Device.barcode, Device.kind, Device.program, Device.status
        ).where(Device.barcode.is_in(barcodes))
        found = {r["barcode"]: r for r in rows}
        for i, barcode in enumerate(barcodes):
            row = found.get(barcode)
            field = f"devices[{i}]"
            if row is None:
                raise Invalid(FieldError(field, f"no device with barcode {barcode!r}"))
            if row["kind"] not in record.kinds:
                raise Invalid(FieldError(field, f"{barcode} is a {row['kind']}: not lent here"))
            if row["program"] not in (None, record.id):
                raise Conflict(
                    f"Device {barcode} is in another program's stock.",
                    Code.DEVICE_IN_OTHER_PROGRAM,
                )
            if row["status"] == DeviceStatus.RETIRED:
                raise Invalid(FieldError(field, f"{barcode} is retired"))
        await Device.update({Device.program: record.id, Device.updated_at: now}).where(
            Device.barcode.is_in(barcodes)
        )
        await audit.record_many(actor, "program_stock_added", barcodes, now, {"program": code})
        return await _stock(record)


async def release_stock(actor: Actor, now: datetime, code: str, barcode: str) -> StockOut:
    async with write_transaction():
        record = await program_by_code(code)
        row = (
            await Device.select(Device.id, Device.program).where(Device.barcode == barcode).first()
        )
        if row is None or row["program"] != record.id:
            raise NotFound(
                f"Device {barcode!r} is not in program {code}'s stock.", Code.DEVICE_NOT_FOUND
            )
        await Device.update({Device.program: None, Device.updated_at: now}).where(
            Device.id == row["id"]
        )
        await audit.record(actor, "program_stock_removed", barcode, now, {"program": code})
        return await _stock(record)


async def _stock(record: ProgramRecord) -> StockOut:
    rows = (
        await Device.select(Device.barcode)
        .where(Device.program == record.id)
        .order_by(Device.barcode)
    )
    return StockOut(program=record.code, assigned=[r["barcode"] for r in rows], stock=len(rows))
