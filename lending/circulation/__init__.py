"""Pure circulation rules: policies, due dates and decisions. Standard library only."""

from .calendar import BranchCalendar, end_of_day_after, renewal_due_at
from .errors import (
    AuthError,
    Conflict,
    FieldError,
    Forbidden,
    Invalid,
    LendingError,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
)
from .policy import KINDS, LoanPolicy, default_policies
from .rules import (
    CheckinRoute,
    DeviceFacts,
    LoanFacts,
    PatronFacts,
    Refusal,
    can_check_out,
    can_place_hold,
    can_renew,
    checkout_due_at,
    hold_ready_until,
    renewed_due_at,
    route_checkin,
)
from .scan import check_digit_problem, luhn_check_digit, luhn_valid, normalize_code

__all__ = [
    "KINDS",
    "AuthError",
    "BranchCalendar",
    "CheckinRoute",
    "Conflict",
    "DeviceFacts",
    "FieldError",
    "Forbidden",
    "Invalid",
    "LendingError",
    "LoanFacts",
    "LoanPolicy",
    "NotFound",
    "PatronFacts",
    "Refusal",
    "TooManyAttempts",
    "Unauthenticated",
    "can_check_out",
    "can_place_hold",
    "can_renew",
    "checkout_due_at",
    "default_policies",
    "end_of_day_after",
    "hold_ready_until",
    "check_digit_problem",
    "luhn_check_digit",
    "luhn_valid",
    "normalize_code",
    "renewal_due_at",
    "renewed_due_at",
    "route_checkin",
]
