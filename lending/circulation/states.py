"""The statuses of everything else the library keeps beside devices, loans and holds
(lifecycle.py): carrier lines and their carrier actions, notices, charges, shelf audits, kit
parts and their outcome on a loan, and return-to-service runs. Services and pages compare and
write these members, never the bare strings; the tables store their values. Standard library
only.
"""

from __future__ import annotations

from enum import StrEnum

from .lifecycle import LoanState

__all__ = [
    "OVERDUE",
    "CarrierActionStatus",
    "ChargeStatus",
    "LineStatus",
    "NoticeStatus",
    "PartOutcome",
    "PartStatus",
    "ProcessingStatus",
    "ShelfAuditStatus",
    "TransferStatus",
    "values",
]

# A loan's derived state when it is active and past due (never stored: rules.is_overdue).
OVERDUE = LoanState.OVERDUE


class LineStatus(StrEnum):
    """A carrier line (SIM): in service, suspended at the carrier (overdue), or cancelled."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


class CarrierActionStatus(StrEnum):
    """A queued suspend or restore: waiting, handed to staff as a task (no gateway), done,
    failed after its retries, or cancelled because the loan that needed it ended."""

    PENDING = "pending"
    TASK = "task"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class NoticeStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class ChargeStatus(StrEnum):
    OPEN = "open"
    WAIVED = "waived"
    PAID = "paid"


class ShelfAuditStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class TransferStatus(StrEnum):
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    CANCELLED = "cancelled"  # the device's status was set by hand while it travelled


class PartStatus(StrEnum):
    """A kit part as the device's kit has it."""

    PRESENT = "present"
    MISSING = "missing"
    DAMAGED = "damaged"
    REMOVED = "removed"


class PartOutcome(StrEnum):
    """A kit part on one loan's checklist: out with the device, then how it came back."""

    OUT = "out"
    RETURNED = "returned"
    MISSING = "missing"
    DAMAGED = "damaged"


class ProcessingStatus(StrEnum):
    """A device's return-to-service run after a checkin."""

    OPEN = "open"
    DONE = "done"
    REPAIR = "repair"
    CANCELLED = "cancelled"


def values(*members: StrEnum) -> tuple[str, ...]:
    """The stored values of some statuses, for `IN (...)` lists and choice lists."""
    return tuple(member.value for member in members)
