"""A kind's pool at a branch and what books it (loans, the hold shelf, reservations): the facts
`circulation.reservations` decides on. Inside the caller's transaction; `lock_pool` first when
the decision must hold against concurrent checkouts, renewals and bookings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ...circulation import DeviceStatus, HoldStatus, LoanStatus
from ...circulation.reservations import (
    CAPACITY_STATUSES,
    OPEN_RESERVATION_STATUSES,
    Booking,
    ReservationRule,
    UnitStatus,
)
from ...database import is_postgres
from ...tables import Device, Hold, Loan, Reservation, ReservationUnit
from ...tables import ReservationRule as RuleTable

__all__ = [
    "OUT_OF_POOL",
    "PoolFacts",
    "has_reservations",
    "lock_pool",
    "named_bookings",
    "pool_facts",
    "rule_for",
]

# Devices that cannot be promised to anyone: gone, or in repair for who knows how long.
OUT_OF_POOL = (DeviceStatus.LOST.value, DeviceStatus.RETIRED.value, DeviceStatus.IN_REPAIR.value)
_LENT = (UnitStatus.OUT.value, UnitStatus.RETURNED.value)


async def rule_for(kind: str) -> ReservationRule:
    row = await RuleTable.select().where(RuleTable.kind == kind).first()
    if row is None:
        return ReservationRule(kind)
    return ReservationRule(
        kind=kind,
        lead_time_hours=row["lead_time_hours"],
        max_length_hours=row["max_length_hours"],
        buffer_minutes=row["buffer_minutes"],
        set_aside_hours=row["set_aside_hours"],
        auto_cancel_minutes=row["auto_cancel_minutes"],
    )


async def has_reservations(kind: str, branch_id: int, now: datetime) -> bool:
    """Whether any reservation still counts against the kind's pool at the branch."""
    return await Reservation.exists().where(
        (Reservation.branch == branch_id)
        & (Reservation.kind == kind)
        & (Reservation.free_at > now)
        & Reservation.status.is_in(list(CAPACITY_STATUSES))
    )


async def lock_pool(kind: str, branch_id: int) -> None:
    """PostgreSQL: serialize bookings of the kind at the branch (an advisory lock), and wait for
    checkouts and renewals of its devices (their device and open-loan rows, in id order). A
    checkout or renewal that comes after waits for the booking in turn, and its write checks
    again that no reservation appeared meanwhile (hot path), or reads it (general path)."""
    if not is_postgres():
        return  # SQLite: the write transaction already holds the one write lock
    await Device.raw(
        "SELECT pg_advisory_xact_lock(hashtext({}))", f"reservation:{branch_id}:{kind}"
    )
    await Device.raw(
        "SELECT id FROM device WHERE kind = {} AND branch = {} ORDER BY id FOR UPDATE",
        kind,
        branch_id,
    )
    await Device.raw(
        "SELECT l.id FROM loan l JOIN device d ON d.id = l.device "
        "WHERE d.kind = {} AND d.branch = {} AND l.returned_at IS NULL ORDER BY l.id "
        "FOR UPDATE OF l",
        kind,
        branch_id,
    )


@dataclass(frozen=True)
class PoolFacts:
    pool: int
    bookings: list[Booking]


async def pool_facts(
    rule: ReservationRule,
    branch_id: int,
    now: datetime,
    start: datetime,
    end: datetime,
    *,
    without_device: int | None = None,
) -> PoolFacts:
    """The kind's pool at the branch and its bookings that touch [start, end): open loans (an
    overdue one as if back now), devices on the hold shelf until their pickup deadline, and the
    reservations (a picked-up one for its devices not lent: those lent are loans).
    `without_device`: leave out that device's own loan or shelf hold (the one being decided)."""
    kind = rule.kind
    pool = await Device.count().where(
        (Device.kind == kind) & (Device.branch == branch_id) & Device.status.not_in(OUT_OF_POOL)
    )
    bookings: list[Booking] = []
    loans = await Loan.select(Loan.device, Loan.due_at).where(
        (Loan.device.kind == kind)
        & (Loan.device.branch == branch_id)
        & Loan.returned_at.is_null()
        & (Loan.status == LoanStatus.ACTIVE)
        & Loan.device.status.not_in(OUT_OF_POOL)
    )
    for loan in loans:
        if loan["device"] != without_device:
            free_at = max(loan["due_at"], now) + rule.buffer
            bookings.append(Booking(now, free_at, 1, device=loan["device"]))
    shelf = await Hold.select(Hold.device, Hold.ready_until).where(
        (Hold.status == HoldStatus.READY)
        & (Hold.device.kind == kind)
        & (Hold.device.branch == branch_id)
    )
    for hold in shelf:
        if hold["device"] != without_device and hold["ready_until"] is not None:
            bookings.append(Booking(now, max(hold["ready_until"], now), 1, device=hold["device"]))
    reservations = await Reservation.select(
        Reservation.id, Reservation.starts_at, Reservation.free_at, Reservation.quantity
    ).where(
        (Reservation.branch == branch_id)
        & (Reservation.kind == kind)
        & Reservation.status.is_in(list(CAPACITY_STATUSES))
        & (Reservation.free_at > max(start, now))
        & (Reservation.starts_at < end)
    )
    lent = await _lent_counts([r["id"] for r in reservations])
    for r in reservations:
        quantity = r["quantity"] - lent.get(r["id"], 0)
        bookings.append(Booking(r["starts_at"], r["free_at"], quantity, reservation=r["id"]))
    return PoolFacts(pool, bookings)


async def _lent_counts(reservation_ids: list[int]) -> dict[int, int]:
    if not reservation_ids:
        return {}
    rows = await ReservationUnit.select(ReservationUnit.reservation).where(
        ReservationUnit.reservation.is_in(reservation_ids) & ReservationUnit.status.is_in(_LENT)
    )
    counts: dict[int, int] = {}
    for row in rows:
        counts[row["reservation"]] = counts.get(row["reservation"], 0) + 1
    return counts


async def named_bookings(device_id: int, now: datetime) -> list[Booking]:
    """The open reservations that named this very device (a cart, a kit) and have not ended."""
    rows = await ReservationUnit.select(
        ReservationUnit.reservation.id.as_alias("id"),
        ReservationUnit.reservation.starts_at.as_alias("starts_at"),
        ReservationUnit.reservation.free_at.as_alias("free_at"),
    ).where(
        (ReservationUnit.device == device_id)
        & (ReservationUnit.named == True)  # noqa: E712 - a Piccolo condition
        & (ReservationUnit.status == UnitStatus.BOOKED)
        & ReservationUnit.reservation.status.is_in(list(OPEN_RESERVATION_STATUSES))
        & (ReservationUnit.reservation.free_at > now)
    )
    return [Booking(r["starts_at"], r["free_at"], 1, reservation=r["id"]) for r in rows]
