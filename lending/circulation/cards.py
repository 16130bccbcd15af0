"""A library card's standing, for warnings at the desk and in lists: blocked, expired, or
expiring within `EXPIRY_WARNING_DAYS`. Pure: `today` is an argument."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = ["EXPIRY_WARNING_DAYS", "CardStanding", "card_standing"]

EXPIRY_WARNING_DAYS = 30


@dataclass(frozen=True)
class CardStanding:
    blocked: bool
    expired: bool
    expiring: bool  # still valid, but expires within EXPIRY_WARNING_DAYS days
    days_left: int | None  # days until expiry (negative once expired); None: no expiry

    @property
    def ok(self) -> bool:
        return not (self.blocked or self.expired or self.expiring)

    @property
    def worst(self) -> str:
        """The one word a list shows: blocked, expired, expiring or ok."""
        if self.blocked:
            return "blocked"
        if self.expired:
            return "expired"
        return "expiring" if self.expiring else "ok"


def card_standing(
    blocked: bool, expires_on: date | None, today: date, warn_days: int = EXPIRY_WARNING_DAYS
) -> CardStanding:
    """A card expiring on `expires_on` is valid through that day (as checkout judges it)."""
    if expires_on is None:
        return CardStanding(bool(blocked), False, False, None)
    days_left = (expires_on - today).days
    return CardStanding(bool(blocked), days_left < 0, 0 <= days_left <= warn_days, days_left)
