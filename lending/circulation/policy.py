"""Loan policies: one per device kind. A policy answers questions; it never touches storage."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import FieldError

__all__ = [
    "CELLULAR_KINDS",
    "KINDS",
    "OVERDUE_BLOCK_SCOPES",
    "LoanPolicy",
    "default_policies",
    "is_cellular",
    "notice_channel",
]

KINDS = ("hotspot", "laptop", "tablet")
# Kinds that carry a cellular service line (suspended when long overdue, restored on return).
CELLULAR_KINDS = frozenset({"hotspot"})


def is_cellular(kind: str | None) -> bool:
    return kind in CELLULAR_KINDS


def notice_channel(email: str | None, phone: str | None) -> str:
    """How a patron is told: email when they have one, else SMS when they have a phone, else a
    call from staff (the call list). services/notices.CHANNEL_SQL says the same in SQL."""
    if email:
        return "email"
    return "sms" if phone else "call"


# Whose overdue loans keep a patron from borrowing a device of a kind: nobody's, their own, or
# their own and their household's.
OVERDUE_BLOCK_SCOPES = ("off", "patron", "household")

# Fields whose value may be 0; every other count must be at least 1.
_ZERO_ALLOWED = frozenset(
    {
        "max_renewals",
        "reminder_days_before_due",
        "suspend_line_after_days",
        "overdue_blocks_checkout_after_days",
    }
)
_COUNTS = (
    "loan_days",
    "renewal_days",
    "max_renewals",
    "max_active_loans_per_patron",
    "max_active_loans_per_household",
    "hold_pickup_days",
    "reminder_days_before_due",
    "suspend_line_after_days",
    "lost_after_days",
    "overdue_blocks_checkout_after_days",
)
_FLAGS = ("auto_renew", "staff_may_renew_overdue", "resident_may_renew_overdue")
_MAX_COUNT = 3650


@dataclass(frozen=True)
class LoanPolicy:
    kind: str
    loan_days: int = 21
    renewal_days: int = 21
    max_renewals: int = 2
    auto_renew: bool = False
    max_active_loans_per_patron: int = 1
    max_active_loans_per_household: int = 1
    hold_pickup_days: int = 3
    reminder_days_before_due: int = 2
    overdue_notice_days: tuple[int, ...] = field(default=(1, 7, 14))
    suspend_line_after_days: int = 3
    lost_after_days: int = 30
    # Overdue patrons: checkout of this kind is refused while the patron (or, with
    # "household", anyone in their household) has a loan of any kind more than N days overdue
    # (0: any overdue loan). Renewing an overdue loan of this kind: staff may, the resident
    # may not (they are asked to bring it back).
    overdue_blocks_checkout: str = "patron"
    overdue_blocks_checkout_after_days: int = 0
    staff_may_renew_overdue: bool = True
    resident_may_renew_overdue: bool = False

    def problems(self) -> list[FieldError]:
        """Everything wrong with this policy, as field errors (empty when valid)."""
        errors: list[FieldError] = []
        for name in _COUNTS:
            value = getattr(self, name)
            low = 0 if name in _ZERO_ALLOWED else 1
            if isinstance(value, bool) or not isinstance(value, int):
                errors.append(FieldError(name, "must be a whole number"))
            elif value < low:
                errors.append(FieldError(name, f"must be at least {low}"))
            elif value > _MAX_COUNT:
                errors.append(FieldError(name, f"must be at most {_MAX_COUNT}"))
        for name in _FLAGS:
            if not isinstance(getattr(self, name), bool):
                errors.append(FieldError(name, "must be true or false"))
        if self.overdue_blocks_checkout not in OVERDUE_BLOCK_SCOPES:
            errors.append(
                FieldError(
                    "overdue_blocks_checkout", f"must be one of {', '.join(OVERDUE_BLOCK_SCOPES)}"
                )
            )
        stages = self.overdue_notice_days
        if len(stages) > 20:
            errors.append(FieldError("overdue_notice_days", "at most 20 stages"))
        for day in stages:
            if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= _MAX_COUNT:
                errors.append(
                    FieldError("overdue_notice_days", f"each day must be from 1 to {_MAX_COUNT}")
                )
                break
        if len(set(stages)) != len(stages):
            errors.append(FieldError("overdue_notice_days", "days must not repeat"))
        bad = {e.field for e in errors}
        limits = {"max_active_loans_per_patron", "max_active_loans_per_household"}
        if (
            not bad & limits
            and self.max_active_loans_per_household < self.max_active_loans_per_patron
        ):
            errors.append(
                FieldError(
                    "max_active_loans_per_household",
                    "must be at least max_active_loans_per_patron",
                )
            )
        return errors

    def has_reached_renewal_limit(self, renewals: int) -> bool:
        return renewals >= self.max_renewals


def default_policies() -> dict[str, LoanPolicy]:
    """Sensible starting policies for a new library (three-week loans, one device each)."""
    return {
        "hotspot": LoanPolicy("hotspot", auto_renew=True),
        "laptop": LoanPolicy("laptop", loan_days=14, renewal_days=14, max_renewals=1),
        "tablet": LoanPolicy("tablet", loan_days=14, renewal_days=14),
    }
