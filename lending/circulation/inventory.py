"""Inventory rules: shelf-audit lists, kit outcomes at checkin, return-to-service steps.

Pure decisions on facts the services gather; standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .errors import FieldError, Invalid
from .lifecycle import DeviceStatus
from .rules import AVAILABLE, IN_PROCESSING, ON_HOLD_SHELF

__all__ = [
    "AUDIT_LISTS",
    "EXPECTED_ON_SHELF",
    "PART_CHARGE_KINDS",
    "KitPartFacts",
    "classify_scan",
    "not_seen_since",
    "part_outcomes",
    "resolve_parts",
    "steps_left",
    "valid_step_names",
]

# The lists of a shelf audit. The first five come from scans; `missing` is what was expected
# on the shelf and not scanned.
FOUND = "found"
OTHER_BRANCH = "other_branch"
ON_LOAN = "on_loan"
UNKNOWN = "unknown"
DUPLICATE = "duplicate"
MISSING = "missing"
AUDIT_LISTS = (FOUND, OTHER_BRANCH, ON_LOAN, UNKNOWN, DUPLICATE, MISSING)

# Device statuses that mean "it should be at its branch, on a shelf": an audit expects them.
# (on loan: out; in repair: may be at a repair shop; lost, retired: gone.)
EXPECTED_ON_SHELF = (AVAILABLE, ON_HOLD_SHELF, IN_PROCESSING, DeviceStatus.SET_ASIDE.value)

# A kit part that comes back missing or damaged is charged to the loan with these kinds.
PART_CHARGE_KINDS = {"missing": "part_missing", "damaged": "part_damaged"}
PART_STATUSES = ("present", "missing", "damaged", "removed")

MAX_STEPS = 20
MAX_STEP_NAME = 100


def classify_scan(*, known: bool, already_scanned: bool, on_loan: bool, same_branch: bool) -> str:
    """Which audit list a scan belongs to. A repeat of a barcode is a duplicate whatever it
    is; a device with an open loan is on loan (offer a checkin) wherever it belongs."""
    if already_scanned:
        return DUPLICATE
    if not known:
        return UNKNOWN
    if on_loan:
        return ON_LOAN
    if not same_branch:
        return OTHER_BRANCH
    return FOUND


@dataclass(frozen=True)
class KitPartFacts:
    id: int
    name: str
    barcode: str | None = None


def resolve_parts(refs: Iterable[str], parts: Sequence[KitPartFacts], field: str) -> list[int]:
    """Part ids for references typed or scanned at the desk: an id, a name (any case) or a
    part barcode. Unknown references → 422 listing each."""
    by_key: dict[str, int] = {}
    for part in parts:
        by_key[str(part.id)] = part.id
        by_key[part.name.strip().casefold()] = part.id
        if part.barcode:
            by_key[part.barcode.strip().casefold()] = part.id
    ids: list[int] = []
    errors = []
    for i, ref in enumerate(refs):
        key = str(ref).strip().casefold()
        if key in by_key:
            if by_key[key] not in ids:
                ids.append(by_key[key])
        else:
            errors.append(FieldError(f"{field}[{i}]", f"{ref!r} is not a part of this loan's kit"))
    if errors:
        raise Invalid(errors)
    return ids


def part_outcomes(out: Iterable[int], missing: Iterable[int], damaged: Iterable[int]) -> dict:
    """Outcome of every part that went out: missing, damaged, or returned. A part cannot be
    both missing and damaged."""
    missing, damaged = set(missing), set(damaged)
    both = missing & damaged
    if both:
        raise Invalid(
            FieldError("damaged_parts", "a part cannot be both missing and damaged"),
        )
    outcome = {}
    for part in out:
        outcome[part] = (
            "missing" if part in missing else "damaged" if part in damaged else "returned"
        )
    return outcome


def valid_step_names(names: Iterable[str], field: str = "steps") -> list[str]:
    """A kind's return-to-service steps: trimmed, non-empty, distinct (any case), at most 20."""
    cleaned: list[str] = []
    seen: set[str] = set()
    errors = []
    for i, raw in enumerate(names):
        name = " ".join(str(raw).split())
        if not name:
            errors.append(FieldError(f"{field}[{i}]", "must not be empty"))
        elif len(name) > MAX_STEP_NAME:
            errors.append(FieldError(f"{field}[{i}]", f"at most {MAX_STEP_NAME} characters"))
        elif name.casefold() in seen:
            errors.append(FieldError(f"{field}[{i}]", f"{name!r} is listed twice"))
        else:
            seen.add(name.casefold())
            cleaned.append(name)
    if len(cleaned) > MAX_STEPS:
        errors.append(FieldError(field, f"at most {MAX_STEPS} steps"))
    if errors:
        raise Invalid(errors)
    return cleaned


def steps_left(steps: Sequence[tuple[str, bool]]) -> list[str]:
    """Names of the steps not done yet, in order, from (name, done) pairs."""
    return [name for name, done in steps if not done]


def not_seen_since(now: datetime, days: int) -> datetime:
    """The cutoff of the "not seen for N days" report: seen before this → listed."""
    if days < 0:
        raise Invalid(FieldError("days", "must be 0 or more"))
    return now - timedelta(days=days)
