"""Circulation decisions: ask first (`can_*` returns a Refusal or None), then act.

Services gather the facts from the database and pass them in; these functions only decide.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from .calendar import BranchCalendar, end_of_day_after, renewal_due_at
from .codes import Code
from .errors import Conflict
from .lifecycle import DeviceStatus, LoanStatus
from .policy import LoanPolicy
from .schedules import StopPattern, first_stop_day

__all__ = [
    "DeviceFacts",
    "LoanFacts",
    "OverdueLoan",
    "PatronFacts",
    "Refusal",
    "blocking_overdue",
    "can_check_out",
    "can_place_hold",
    "can_renew",
    "checkout_due_at",
    "days_overdue",
    "hold_ready_until",
    "is_overdue",
    "renewed_due_at",
    "stop_lent_at",
    "vehicle_due_at",
]

# Device statuses (the lifecycle's enum; these names are kept for the rules below)
AVAILABLE = DeviceStatus.AVAILABLE.value
ON_LOAN = DeviceStatus.ON_LOAN.value
ON_HOLD_SHELF = DeviceStatus.ON_HOLD_SHELF.value
IN_PROCESSING = DeviceStatus.IN_PROCESSING.value
DEVICE_STATUSES = tuple(status.value for status in DeviceStatus)


@dataclass(frozen=True)
class Refusal:
    code: str
    detail: str
    # What an edge needs to say it in its own words (the detail is English for logs and the
    # API); e.g. the overdue loans behind `patron_has_overdue`.
    facts: dict[str, Any] = field(default_factory=dict, compare=False)

    def error(self) -> Conflict:
        return Conflict(self.detail, self.code, facts=self.facts)


@dataclass(frozen=True)
class DeviceFacts:
    barcode: str
    status: str
    held_for_patron: int | None = None  # patron id a hold-shelf device waits for


@dataclass(frozen=True)
class OverdueLoan:
    """A loan still out whose due date has passed (the patron's own, or a household member's)."""

    device: str
    kind: str
    due_at: datetime
    own: bool = True


@dataclass(frozen=True)
class PatronFacts:
    id: int
    blocked: bool
    block_reason: str | None
    expires_on: date | None
    active_loans_of_kind: int
    household_active_loans_of_kind: int | None  # None when the patron has no household
    # Loans of any kind out past their due date: the patron's, and (when the policy looks at
    # the household) their household's. Judged against the policy at `now`.
    overdue_loans: tuple[OverdueLoan, ...] = ()


@dataclass(frozen=True)
class LoanFacts:
    status: str  # stored status: active, returned, lost
    renewals: int
    due_at: datetime
    patron_blocked: bool


def _loans(count: int, kind: str) -> str:
    """ "1 hotspot loan", "2 laptop loans" """
    return f"{count} {kind} loan{'' if count == 1 else 's'}"


def is_overdue(due_at: datetime, now: datetime) -> bool:
    """An open loan is overdue from the moment after its due time (overdue is derived from
    `now`, never stored: a loan's stored status stays `active`)."""
    return due_at < now


def days_overdue(due_at: datetime, now: datetime) -> int:
    """Whole days a loan is past its due date (0 in its first day overdue)."""
    return max(0, (now - due_at) // timedelta(days=1))


def blocking_overdue(
    patron: PatronFacts, policy: LoanPolicy, now: datetime | None
) -> list[OverdueLoan]:
    """The overdue loans that keep this patron from borrowing a device of the policy's kind:
    none when the policy says "off"; the patron's own ("patron") or also their household's
    ("household"); each more than `overdue_blocks_checkout_after_days` days past due."""
    scope = policy.overdue_blocks_checkout
    if scope == "off" or not patron.overdue_loans:
        return []
    if now is None:
        raise ValueError("judging overdue loans needs `now`")
    limit = timedelta(days=policy.overdue_blocks_checkout_after_days)
    return [
        loan
        for loan in patron.overdue_loans
        if (loan.own or scope == "household") and now - loan.due_at > limit
    ]


def can_check_out(
    device: DeviceFacts,
    patron: PatronFacts,
    policy: LoanPolicy,
    today: date,
    *,
    now: datetime | None = None,
) -> Refusal | None:
    """Why this patron may not borrow this device today, or None. First refusal wins:
    device unavailable, patron blocked, card expired, overdue loans (as the policy says),
    loan limit. `now` judges the overdue loans (needed when the facts list any)."""
    if device.status == ON_HOLD_SHELF:
        if device.held_for_patron != patron.id:
            return Refusal(
                Code.DEVICE_UNAVAILABLE,
                f"Device {device.barcode} is on the hold shelf for another patron.",
                {"status": device.status},
            )
    elif device.status == DeviceStatus.SET_ASIDE:
        return Refusal(
            Code.DEVICE_RESERVED,
            f"Device {device.barcode} is set aside for a reservation.",
            {"status": device.status},
        )
    elif device.status != AVAILABLE:
        return Refusal(
            Code.DEVICE_UNAVAILABLE,
            f"Device {device.barcode} is not available (status: {device.status}).",
            {"status": device.status},
        )
    return _patron_refusal(patron, policy, today, now)


def can_place_hold(
    patron: PatronFacts, policy: LoanPolicy, today: date, *, has_open_hold: bool
) -> Refusal | None:
    """Why this patron may not join the waitlist for `policy.kind` today, or None: blocked,
    expired, at their own loan limit for the kind (a device set aside for them could not be
    lent), and one open hold per kind. The household limit is not checked: another member may
    well have returned theirs by the time a device is set aside."""
    refusal = _patron_refusal(replace(patron, household_active_loans_of_kind=None), policy, today)
    if refusal is not None:
        return refusal
    if has_open_hold:
        return Refusal(
            Code.DUPLICATE_HOLD, f"The patron already has an open hold for a {policy.kind}."
        )
    return None


def _patron_refusal(
    patron: PatronFacts, policy: LoanPolicy, today: date, now: datetime | None = None
) -> Refusal | None:
    if patron.blocked:
        reason = f": {patron.block_reason}" if patron.block_reason else ""
        return Refusal(
            Code.PATRON_BLOCKED,
            f"The patron's account is blocked{reason}.",
            {"block_reason": patron.block_reason or ""},
        )
    if patron.expires_on is not None and patron.expires_on < today:
        return Refusal(
            Code.PATRON_EXPIRED,
            f"The patron's card expired on {patron.expires_on.isoformat()}; renew the card first.",
        )
    overdue = blocking_overdue(patron, policy, now)
    if overdue:
        assert now is not None  # blocking_overdue needs it
        whose = "household" if any(not loan.own for loan in overdue) else "patron"
        devices = ", ".join(loan.device for loan in overdue)
        return Refusal(
            Code.PATRON_HAS_OVERDUE,
            f"The {whose} has {len(overdue)} overdue loan{'s' if len(overdue) > 1 else ''} "
            f"({devices}); "
            f"return {'them' if len(overdue) > 1 else 'it'} before borrowing a {policy.kind}.",
            {
                "whose": whose,
                "after_days": policy.overdue_blocks_checkout_after_days,
                "loans": [
                    {
                        "device": loan.device,
                        "kind": loan.kind,
                        "due_at": loan.due_at.isoformat(),
                        "days_overdue": days_overdue(loan.due_at, now),
                        "own": loan.own,
                    }
                    for loan in overdue
                ],
            },
        )
    if patron.active_loans_of_kind >= policy.max_active_loans_per_patron:
        return Refusal(
            Code.LOAN_LIMIT_REACHED,
            f"The patron already has {_loans(patron.active_loans_of_kind, policy.kind)}; "
            f"the limit is {policy.max_active_loans_per_patron}.",
        )
    household = patron.household_active_loans_of_kind
    if household is not None and household >= policy.max_active_loans_per_household:
        return Refusal(
            Code.LOAN_LIMIT_REACHED,
            f"The patron's household already has {_loans(household, policy.kind)}; "
            f"the limit is {policy.max_active_loans_per_household}.",
        )
    return None


def checkout_due_at(policy: LoanPolicy, calendar: BranchCalendar, now: datetime) -> datetime:
    return end_of_day_after(policy.loan_days, calendar, now)


def stop_lent_at(
    stops: Iterable[StopPattern],
    cancelled: Collection[tuple[int, date]],
    today: date,
    local_now: time,
) -> int | None:
    """The stop a vehicle is making now (the one whose hours hold `local_now`, else the day's
    first), or None when it makes no stop today."""
    todays = sorted(
        (s for s in stops if s.occurs_on(today) and (s.id, today) not in cancelled),
        key=lambda s: (s.starts, s.id),
    )
    current = [s for s in todays if s.starts <= local_now <= s.ends]
    chosen = current or todays
    return chosen[0].id if chosen else None


def vehicle_due_at(
    policy: LoanPolicy,
    calendar: BranchCalendar,
    now: datetime,
    stops: Iterable[StopPattern],
    *,
    cancelled: Collection[tuple[int, date]] = (),
    lent_at_stop: int | None = None,
) -> datetime:
    """A loan made on a bookmobile or mobile lab is due at the end of the first day, on or
    after the policy's due day, when the vehicle is back at the stop where it was lent (at any
    of its stops when it was lent between stops), skipping cancelled visits and closed days; the
    policy's due date when no such visit is scheduled within a year."""
    stops = tuple(stops)
    policy_due = checkout_due_at(policy, calendar, now)
    after = calendar.local_date(policy_due)
    closed = calendar.closed
    day = first_stop_day(stops, after, stop_id=lent_at_stop, cancelled=cancelled, closed=closed)
    if day is None and lent_at_stop is not None:
        day = first_stop_day(stops, after, cancelled=cancelled, closed=closed)
    return calendar.end_of(day) if day is not None else policy_due


def hold_ready_until(policy: LoanPolicy, calendar: BranchCalendar, now: datetime) -> datetime:
    return end_of_day_after(policy.hold_pickup_days, calendar, now)


def can_renew(
    loan: LoanFacts,
    policy: LoanPolicy,
    others_waiting: bool,
    available_of_kind: int,
    *,
    now: datetime,
    by_resident: bool = False,
) -> Refusal | None:
    """Why this loan may not be renewed, or None. Order: not active, patron blocked,
    overdue (when the policy refuses it for staff, or for the resident renewing it themself),
    renewal limit, others waiting with no device of the kind available."""
    if loan.status != LoanStatus.ACTIVE:
        return Refusal(Code.LOAN_NOT_ACTIVE, f"This loan is {loan.status} and cannot be renewed.")
    if loan.patron_blocked:
        return Refusal(Code.PATRON_BLOCKED, "The patron's account is blocked.")
    if now > loan.due_at:
        allowed = (
            policy.resident_may_renew_overdue if by_resident else policy.staff_may_renew_overdue
        )
        if not allowed:
            who = "resident" if by_resident else "staff"
            return Refusal(
                Code.OVERDUE_RENEWAL_REFUSED,
                f"This {policy.kind} is overdue (due {loan.due_at.isoformat()}); the library "
                f"does not let {'residents' if by_resident else 'staff'} renew an overdue loan: "
                "it must be returned.",
                {
                    "due_at": loan.due_at.isoformat(),
                    "days_overdue": days_overdue(loan.due_at, now),
                    "by": who,
                },
            )
    if policy.has_reached_renewal_limit(loan.renewals):
        return Refusal(
            Code.RENEWAL_LIMIT_REACHED,
            f"This loan has been renewed {loan.renewals} time(s), the most allowed for a "
            f"{policy.kind}.",
        )
    if others_waiting and available_of_kind == 0:
        return Refusal(
            Code.RENEWAL_BLOCKED_BY_HOLDS,
            f"Other patrons are waiting for a {policy.kind} and none is available; "
            "please return it by the due date.",
        )
    return None


def renewed_due_at(
    loan: LoanFacts, policy: LoanPolicy, calendar: BranchCalendar, now: datetime
) -> datetime:
    return renewal_due_at(policy.renewal_days, calendar, loan.due_at, now)
