"""Partner programs: what a program requires before it lends, and the terms it lends on.
Standard library only; time is an argument.

A program (run with a housing authority, a school, a community organisation) lends some kinds of
device, at some service points, to patrons enrolled in it, on its own terms per kind (loan days,
renewals, a household limit) that override the kind's policy. It may also require training
hours, a signed borrower agreement of its current version and the funder's statement that the
household would otherwise lack access. Each requirement, checked at checkout, refuses with its
own code, in the order a coordinator would fix them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from .codes import Code
from .policy import LoanPolicy
from .rules import Refusal

__all__ = [
    "AgreementFacts",
    "EnrolmentFacts",
    "EnrolmentMethod",
    "ProgramFacts",
    "ProgramTerms",
    "SignatureKind",
    "agreement_expires_on",
    "can_lend_under",
    "choose_program",
    "program_policy",
    "standing",
    "suppressed",
]

SMALL_COUNT = 5  # partner and funder reports show counts below this as "<5"


class EnrolmentMethod(StrEnum):
    """How eligibility was verified (the attestation is kept, never the documents)."""

    HOUSING_LEASE = "housing_lease"
    SCHOOL = "school"
    CASEWORKER_REFERRAL = "caseworker_referral"
    SELF_ATTESTATION = "self_attestation"


class SignatureKind(StrEnum):
    TYPED = "typed"  # the borrower's name, typed
    DRAWN = "drawn"  # drawn on the desk screen (an SVG path)


@dataclass(frozen=True)
class ProgramTerms:
    """A program's terms for one kind; None: the kind's policy."""

    loan_days: int | None = None
    renewal_days: int | None = None
    max_renewals: int | None = None
    household_limit: int | None = None  # open loans of the program per household
    quota: int | None = None  # most loans of the kind out under the program at once


@dataclass(frozen=True)
class ProgramFacts:
    code: str
    starts_on: date
    ends_on: date | None
    kinds: tuple[str, ...]
    points: tuple[str, ...]  # service point codes it lends at; empty: any
    training_hours: float = 0.0
    agreement_version: str | None = None  # None: no agreement required
    attestation_required: bool = False
    terms: ProgramTerms = ProgramTerms()  # for the kind asked about
    open_loans_of_kind: int = 0  # under the program, for the quota
    household_open_loans: int = 0  # the patron's household's (or the patron's own) open loans
    assigned_stock: bool = False  # devices of the kind are assigned to the program
    device_assigned: bool = False  # the device to lend is one of them


@dataclass(frozen=True)
class AgreementFacts:
    version: str
    expires_on: date


@dataclass(frozen=True)
class EnrolmentFacts:
    expires_on: date | None
    attested: bool  # the "would otherwise lack access" statement
    training_hours: float  # attended, in the program's sessions
    agreement: AgreementFacts | None  # the newest signed


def can_lend_under(
    program: ProgramFacts,
    enrolment: EnrolmentFacts | None,
    kind: str,
    point: str | None,
    today: date,
) -> Refusal | None:
    """Why the program may not lend a device of `kind` at `point` to this patron today, or None.
    First refusal wins: the program itself (dates, kind, place), then the patron's standing in it
    (enrolment, attestation, training, agreement), then the program's limits."""
    code = program.code
    if today < program.starts_on:
        return Refusal(
            Code.PROGRAM_NOT_STARTED,
            f"Program {code} starts on {program.starts_on.isoformat()}.",
            {"starts_on": program.starts_on.isoformat()},
        )
    if program.ends_on is not None and today > program.ends_on:
        return Refusal(
            Code.PROGRAM_ENDED,
            f"Program {code} ended on {program.ends_on.isoformat()}.",
            {"ends_on": program.ends_on.isoformat()},
        )
    if kind not in program.kinds:
        return Refusal(
            Code.KIND_NOT_IN_PROGRAM,
            f"Program {code} does not lend {kind}s.",
            {"kinds": list(program.kinds)},
        )
    if program.points and point is not None and point not in program.points:
        return Refusal(
            Code.PROGRAM_NOT_HERE,
            f"Program {code} does not lend at {point}.",
            {"points": list(program.points)},
        )
    refusal = standing(program, enrolment, today)
    if refusal is not None:
        return refusal
    return _limits(program, kind)


def standing(
    program: ProgramFacts, enrolment: EnrolmentFacts | None, today: date
) -> Refusal | None:
    """Why the patron's standing in the program keeps them from borrowing under it, or None:
    enrolment, the funder's statement, training hours, the borrower agreement."""
    code = program.code
    if enrolment is None:
        return Refusal(Code.NOT_ENROLLED, f"The patron is not enrolled in program {code}.")
    if enrolment.expires_on is not None and enrolment.expires_on < today:
        return Refusal(
            Code.ENROLMENT_EXPIRED,
            f"The patron's enrolment in program {code} expired on "
            f"{enrolment.expires_on.isoformat()}.",
            {"expires_on": enrolment.expires_on.isoformat()},
        )
    if program.attestation_required and not enrolment.attested:
        return Refusal(
            Code.ATTESTATION_REQUIRED,
            f"Program {code} needs the household's statement that it would otherwise lack "
            "internet access.",
        )
    if enrolment.training_hours < program.training_hours:
        return Refusal(
            Code.TRAINING_REQUIRED,
            f"Program {code} requires {program.training_hours:g} hours of training; the patron "
            f"has {enrolment.training_hours:g}.",
            {"required": program.training_hours, "done": enrolment.training_hours},
        )
    version = program.agreement_version
    if version is not None:
        signed = enrolment.agreement
        if signed is None or signed.version != version:
            return Refusal(
                Code.AGREEMENT_REQUIRED,
                f"The patron has not signed version {version} of program {code}'s agreement.",
                {"version": version, "signed": signed.version if signed else None},
            )
        if signed.expires_on < today:
            return Refusal(
                Code.AGREEMENT_EXPIRED,
                f"The patron's agreement expired on {signed.expires_on.isoformat()}.",
                {"expires_on": signed.expires_on.isoformat()},
            )
    return None


def _limits(program: ProgramFacts, kind: str) -> Refusal | None:
    terms = program.terms
    if program.assigned_stock and not program.device_assigned:
        return Refusal(
            Code.DEVICE_IN_OTHER_PROGRAM,
            f"Program {program.code} lends only the {kind}s assigned to it.",
            {"program": program.code},
        )
    if terms.household_limit is not None and program.household_open_loans >= terms.household_limit:
        return Refusal(
            Code.LOAN_LIMIT_REACHED,
            f"Program {program.code} lends {terms.household_limit} device(s) per household; "
            "the household has them.",
            {"limit": terms.household_limit, "scope": "program_household"},
        )
    if terms.quota is not None and program.open_loans_of_kind >= terms.quota:
        return Refusal(
            Code.PROGRAM_STOCK_EXHAUSTED,
            f"All {terms.quota} of program {program.code}'s {kind}s are out.",
            {"quota": terms.quota},
        )
    return None


def program_policy(policy: LoanPolicy, terms: ProgramTerms) -> LoanPolicy:
    """The kind's policy with the program's terms in place of its own."""
    changes: dict[str, int] = {}
    if terms.loan_days is not None:
        changes["loan_days"] = terms.loan_days
        changes["renewal_days"] = terms.loan_days
    if terms.renewal_days is not None:
        changes["renewal_days"] = terms.renewal_days
    if terms.max_renewals is not None:
        changes["max_renewals"] = terms.max_renewals
    return replace(policy, **changes) if changes else policy


def choose_program(chosen: str | None, device_program: str | None, enrolled: tuple[str, ...]):
    """Which program a checkout is under: the one the desk chose, else the program whose stock
    the device is in, else the patron's only program lending the kind (`enrolled`, codes).
    Returns (code or None, refusal or None). A device in a program's stock is lent only under
    that program."""
    if device_program is not None:
        if chosen is not None and chosen != device_program:
            return None, Refusal(
                Code.DEVICE_IN_OTHER_PROGRAM,
                f"The device belongs to program {device_program}, not {chosen}.",
                {"program": device_program},
            )
        return device_program, None
    if chosen is not None:
        return chosen, None
    if len(enrolled) == 1:
        return enrolled[0], None
    if len(enrolled) > 1:
        return None, Refusal(
            Code.PROGRAM_CHOICE_NEEDED,
            "The patron is in several programs that lend the kind; choose one.",
            {"programs": list(enrolled)},
        )
    return None, None


def agreement_expires_on(signed_on: date, fixed: date | None) -> date:
    """An agreement runs a year from the day it is signed, or to the program's set date."""
    if fixed is not None:
        return fixed
    try:
        return signed_on.replace(year=signed_on.year + 1)
    except ValueError:  # 29 February
        return signed_on.replace(year=signed_on.year + 1, day=28)


def suppressed(count: int) -> int | str:
    """A count as partner and funder reports show it: fewer than five as "<5" (never 0 hidden:
    nothing is nothing)."""
    return "<5" if 0 < count < SMALL_COUNT else count
