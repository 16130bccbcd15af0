"""Circulation decisions: ask first (`can_*` returns a Refusal or None), then act.

Services gather the facts from the database and pass them in; these functions only decide.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from .calendar import BranchCalendar, end_of_day_after, renewal_due_at
from .errors import Conflict
from .policy import LoanPolicy

__all__ = [
    "CheckinRoute",
    "DeviceFacts",
    "LoanFacts",
    "PatronFacts",
    "Refusal",
    "can_check_out",
    "can_place_hold",
    "can_renew",
    "checkout_due_at",
    "hold_ready_until",
    "renewed_due_at",
    "route_checkin",
]

# Device statuses
AVAILABLE = "available"
ON_LOAN = "on_loan"
ON_HOLD_SHELF = "on_hold_shelf"
IN_PROCESSING = "in_processing"
DEVICE_STATUSES = (AVAILABLE, ON_LOAN, ON_HOLD_SHELF, IN_PROCESSING, "in_repair", "lost", "retired")


@dataclass(frozen=True)
class Refusal:
    code: str
    detail: str

    def error(self) -> Conflict:
        return Conflict(self.detail, self.code)


@dataclass(frozen=True)
class DeviceFacts:
    barcode: str
    status: str
    held_for_patron: int | None = None  # patron id a hold-shelf device waits for


@dataclass(frozen=True)
class PatronFacts:
    id: int
    blocked: bool
    block_reason: str | None
    expires_on: date | None
    active_loans_of_kind: int
    household_active_loans_of_kind: int | None  # None when the patron has no household


@dataclass(frozen=True)
class LoanFacts:
    status: str  # stored status: active, returned, lost
    renewals: int
    due_at: datetime
    patron_blocked: bool


def _loans(count: int, kind: str) -> str:
    """ "1 hotspot loan", "2 laptop loans" """
    return f"{count} {kind} loan{'' if count == 1 else 's'}"


def can_check_out(
    device: DeviceFacts, patron: PatronFacts, policy: LoanPolicy, today: date
) -> Refusal | None:
    """Why this patron may not borrow this device today, or None. First refusal wins:
    device unavailable, patron blocked, card expired, loan limit."""
    if device.status == ON_HOLD_SHELF:
        if device.held_for_patron != patron.id:
            return Refusal(
                "device_unavailable",
                f"Device {device.barcode} is on the hold shelf for another patron.",
            )
    elif device.status != AVAILABLE:
        return Refusal(
            "device_unavailable",
            f"Device {device.barcode} is not available (status: {device.status}).",
        )
    return _patron_refusal(patron, policy, today)


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
            "duplicate_hold", f"The patron already has an open hold for a {policy.kind}."
        )
    return None


def _patron_refusal(patron: PatronFacts, policy: LoanPolicy, today: date) -> Refusal | None:
    if patron.blocked:
        reason = f": {patron.block_reason}" if patron.block_reason else ""
        return Refusal("patron_blocked", f"The patron's account is blocked{reason}.")
    if patron.expires_on is not None and patron.expires_on < today:
        return Refusal(
            "patron_expired",
            f"The patron's card expired on {patron.expires_on.isoformat()}; renew the card first.",
        )
    if patron.active_loans_of_kind >= policy.max_active_loans_per_patron:
        return Refusal(
            "loan_limit_reached",
            f"The patron already has {_loans(patron.active_loans_of_kind, policy.kind)}; "
            f"the limit is {policy.max_active_loans_per_patron}.",
        )
    household = patron.household_active_loans_of_kind
    if household is not None and household >= policy.max_active_loans_per_household:
        return Refusal(
            "loan_limit_reached",
            f"The patron's household already has {_loans(household, policy.kind)}; "
            f"the limit is {policy.max_active_loans_per_household}.",
        )
    return None


def checkout_due_at(policy: LoanPolicy, calendar: BranchCalendar, now: datetime) -> datetime:
    return end_of_day_after(policy.loan_days, calendar, now)


def hold_ready_until(policy: LoanPolicy, calendar: BranchCalendar, now: datetime) -> datetime:
    return end_of_day_after(policy.hold_pickup_days, calendar, now)


def can_renew(
    loan: LoanFacts, policy: LoanPolicy, others_waiting: bool, available_of_kind: int
) -> Refusal | None:
    """Why this loan may not be renewed, or None. Order: not active, patron blocked,
    renewal limit, others waiting with no device of the kind available."""
    if loan.status != "active":
        return Refusal("loan_not_active", f"This loan is {loan.status} and cannot be renewed.")
    if loan.patron_blocked:
        return Refusal("patron_blocked", "The patron's account is blocked.")
    if policy.has_reached_renewal_limit(loan.renewals):
        return Refusal(
            "renewal_limit_reached",
            f"This loan has been renewed {loan.renewals} time(s), the most allowed for a "
            f"{policy.kind}.",
        )
    if others_waiting and available_of_kind == 0:
        return Refusal(
            "renewal_blocked_by_holds",
            f"Other patrons are waiting for a {policy.kind} and none is available; "
            "please return it by the due date.",
        )
    return None


def renewed_due_at(
    loan: LoanFacts, policy: LoanPolicy, calendar: BranchCalendar, now: datetime
) -> datetime:
    return renewal_due_at(policy.renewal_days, calendar, loan.due_at, now)


@dataclass(frozen=True)
class CheckinRoute:
    device_status: str
    hold_id: int | None = None


def route_checkin(first_waiting_hold: int | None, has_processing_steps: bool) -> CheckinRoute:
    """Where a returned device goes: kinds with return-to-service steps go to processing first
    (a laptop is wiped before anyone else gets it; the hold is filled when the steps are done),
    else to the hold shelf for the first waiting patron, else back on the shelf."""
    if has_processing_steps:
        return CheckinRoute(IN_PROCESSING)
    if first_waiting_hold is not None:
        return CheckinRoute(ON_HOLD_SHELF, first_waiting_hold)
    return CheckinRoute(AVAILABLE)
