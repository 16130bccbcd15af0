"""A library card's standing, for warnings at the desk and in lists: blocked, expired, or
expiring within `EXPIRY_WARNING_DAYS`; and a block that the library's ILS reports (its patron
status flags and fees) merged with the local one. Pure: `today` is an argument."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

__all__ = [
    "EXPIRY_WARNING_DAYS",
    "ILS_BLOCK_PREFIX",
    "ILS_STATUS_FLAGS",
    "CardStanding",
    "card_standing",
    "ils_block_reason",
    "merge_ils_block",
]

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


# A block the ILS reported starts with this; any other block was set by staff here.
ILS_BLOCK_PREFIX = "ILS: "

# SIP2's 14 patron status flags, in order (Y = set), and whether each keeps the patron from
# borrowing here. Renewal, recall and hold privileges, "too many items charged" (the ILS's own
# limit on its items; device limits are per kind here) and "too many renewals" do not.
ILS_STATUS_FLAGS: tuple[tuple[str, bool], ...] = (
    ("charge privileges denied", True),
    ("renewal privileges denied", False),
    ("recall privileges denied", False),
    ("hold privileges denied", False),
    ("card reported lost", True),
    ("too many items charged", False),
    ("too many items overdue", True),
    ("too many renewals", False),
    ("too many claims of items returned", True),
    ("too many items lost", True),
    ("excessive fines", True),
    ("excessive fees", True),
    ("recall overdue", True),
    ("too many items billed", True),
)
_MONEY_FLAGS = ("excessive fines", "excessive fees")


def _amount(value: str | None) -> Decimal | None:
    text = "".join(c for c in (value or "") if c.isdigit() or c in ".-")
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


def ils_block_reason(
    status: str, fee_amount: str | None = None, fee_limit: str | None = None
) -> str | None:
    """The block reason for what the ILS reports ("ILS: charge privileges denied; excessive
    fees (12.50)"), or None when nothing it reports keeps the patron from borrowing. `status`
    is the 14-character flag field (short or odd ones are read as far as they go); the fee
    amount is named beside a fines/fees flag, or on its own when it is over the fee limit."""
    flags = status.ljust(len(ILS_STATUS_FLAGS))
    reasons = [
        name
        for (name, blocks), flag in zip(ILS_STATUS_FLAGS, flags, strict=False)
        if blocks and flag.upper() == "Y"
    ]
    fee = (fee_amount or "").strip()
    money = [r for r in reasons if r in _MONEY_FLAGS]
    owed, limit = _amount(fee), _amount(fee_limit)
    if money and owed:
        reasons[reasons.index(money[-1])] += f" ({fee})"
    elif owed is not None and limit is not None and owed > limit > 0:
        reasons.append(f"fees over the limit ({fee}, limit {(fee_limit or '').strip()})")
    return ILS_BLOCK_PREFIX + "; ".join(reasons) if reasons else None


def merge_ils_block(
    blocked: bool, block_reason: str | None, ils_reason: str | None
) -> tuple[bool, str | None]:
    """The patron's (blocked, block_reason) after the ILS reported `ils_reason` (None: no
    block): a block staff set here stays as it is; a block from the ILS follows the ILS (so it
    clears when the ILS no longer reports it)."""
    if blocked and not (block_reason or "").startswith(ILS_BLOCK_PREFIX.strip()):
        return True, block_reason
    if ils_reason:
        return True, ils_reason
    return False, None
