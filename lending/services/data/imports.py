"""Importing devices, service lines and patrons from CSV: all rows or none.

Every row is checked first (the file, then each cell, then what needs the database: branch
codes, plans, devices, numbers used by another line). Any problem rejects the whole file with
every bad row listed (`ImportRejected`). Otherwise one transaction creates the new rows and
updates the existing ones (matched by barcode / ICCID / card number) with a few set-based
statements, writes one audit event per created or updated row and one summarising the import.
A dry run does the same checks and reports what would change, writing nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec

from ...circulation import Conflict, FieldError, Invalid
from ...circulation.codes import Code
from ...database import write_transaction
from ...schemas.imports import ImportOut
from .._common import audit
from .._common.bulk import insert_rows, update_rows
from .._common.guards import duplicate_is
from ..access.auth import revoke_all
from ..access.passwords import hash_secret_async
from ..actors import Actor
from .csv_read import ImportRejected, RowError, parse_csv
from .csv_rows import SPECS, check_cells
from .import_plans import PLANNERS, Plan

__all__ = ["KINDS", "MAX_LISTED", "Progress", "import_csv"]

KINDS = tuple(SPECS)
MAX_LISTED = 1000  # changes listed in a summary
Progress = Callable[[str, int, int], None]  # (stage, done, total)


def _quiet(stage: str, done: int, total: int) -> None:
    return None


async def import_csv(
    actor: Actor,
    now: datetime,
    kind: str,
    data: bytes,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportOut:
    """Import `data` (CSV bytes) as `kind` (devices, lines or patrons); see the module doc."""
    if kind not in SPECS:
        raise Invalid(FieldError("kind", f"must be one of {', '.join(KINDS)}"))
    report = progress or _quiet
    now = now.astimezone(UTC)  # stored as UTC text on SQLite
    spec = SPECS[kind]
    parsed = parse_csv(data, spec.known, spec.required)
    errors = parsed.errors
    # Every row is checked in one pass, and a row with a bad cell still has its other cells
    # checked, against the database too (a bad IMEI and an unknown branch are both reported).
    rows: list[tuple[int, dict[str, Any]]] = []
    broken = {line for line, _ in parsed.broken}
    given = sorted(parsed.rows + parsed.broken)
    total = parsed.data_rows
    for i, (line, cells) in enumerate(given, start=1):
        values, ok = check_cells(spec, line, cells, errors)
        rows.append((line, values))
        if not ok:
            broken.add(line)
        if i % 1000 == 0:
            report("checking", i, total)
    report("checking", total, total)  # lines that were not even readable count as checked
    _repeats(rows, (spec.key, *spec.unique), errors)
    if not errors and not rows:
        errors.append(RowError(2, None, "the file has a header but no rows"))
    planner = PLANNERS[kind]
    if dry_run:
        plan = await planner(rows, errors, now, broken)
        if errors:
            raise ImportRejected(errors)
        return _summary(kind, plan, dry_run=True, rows=total)
    if errors:  # the database checks would only add to these: report what we have, and those
        await planner(rows, errors, now, broken)
        raise ImportRejected(errors)
    pins = await _hash_pins(rows) if kind == "patrons" else None
    with duplicate_is(
        Conflict(
            "Another change added some of these rows while the file was being imported; "
            "nothing was imported. Try again.",
            Code.IMPORT_CONFLICT,
        )
    ):
        async with write_transaction():
            plan = await planner(rows, errors, now, broken)
            if errors:
                raise ImportRejected(errors)
            if pins:
                plan.set_pins(pins)
            await _write(actor, now, plan, report)
            await revoke_all(patron_cards=_new_pins(plan))
            await audit.record(
                actor,
                f"{kind}_imported",
                f"import:{kind}",
                now,
                {"rows": total, **msgspec.structs.asdict(plan.counts())},
            )
    return _summary(kind, plan, dry_run=False, rows=total)


def _repeats(
    rows: list[tuple[int, dict[str, Any]]], columns: tuple[str, ...], errors: list[RowError]
) -> None:
    """A key (or another unique value) given twice in one file is an error on the later line."""
    for column in columns:
        first: dict[Any, int] = {}
        for line, values in rows:
            value = values.get(column)
            if value is None:
                continue
            if value in first:
                errors.append(RowError(line, column, f"{value} is also on line {first[value]}"))
            else:
                first[value] = line


def _new_pins(plan: Plan) -> list[str]:
    """Card numbers of existing patrons the file gives a PIN: their sessions end."""
    if plan.name != "patrons":
        return []
    return [new[plan.key] for _, new, changed in plan.updates if "pin_hash" in changed]


async def _hash_pins(rows: list[tuple[int, dict[str, Any]]]) -> dict[int, str]:
    """Argon2 hashes of the PINs given in the file, by line, made in the hashing pool one at a
    time (so logins waiting for the pool take turns with them). Slow on purpose (~0.05 s
    each): a file of patrons without a `pin` column skips this entirely."""
    given = [(line, values["pin"]) for line, values in rows if values.get("pin")]
    if not given:
        return {}
    hashes = [await hash_secret_async(pin) for _, pin in given]
    return {line: digest for (line, _), digest in zip(given, hashes, strict=True)}


async def _write(actor: Actor, now: datetime, plan: Plan, report: Progress) -> None:
    total = len(plan.creates) + len(plan.updates)
    done = 0
    if plan.creates:
        await insert_rows(plan.table, plan.insert_columns(), plan.insert_rows(now))
        done += len(plan.creates)
        report("writing", done, total)
    if plan.updates:
        key, columns, rows = plan.update_rows(now)
        await update_rows(plan.table, key, columns, rows, keep_when_null=plan.keep_when_null)
        done += len(plan.updates)
        report("writing", done, total)
    await plan.after_write(actor, now)
    events = plan.events(actor, now)
    if events:
        await insert_rows("event", plan.EVENT_COLUMNS, events)


def _summary(kind: str, plan: Plan, *, dry_run: bool, rows: int) -> ImportOut:
    changes = plan.changes()
    counts = plan.counts()
    return ImportOut(
        kind=kind,
        dry_run=dry_run,
        rows=rows,
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
        changes=changes[:MAX_LISTED],
        changes_not_listed=max(0, len(changes) - MAX_LISTED),
    )
