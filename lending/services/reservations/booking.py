"""Booking devices for an event, confirming, cancelling, and reading reservations, a kind's
availability and the pull list; a kind's reservation rules."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from ...circulation import (
    Conflict,
    DeviceStatus,
    FieldError,
    Invalid,
    NotFound,
)
from ...circulation.codes import Code
from ...circulation.reservations import (
    CAPACITY_STATUSES,
    OPEN_RESERVATION_STATUSES,
    ReservationRule,
    ReservationStatus,
    UnitStatus,
    booking_refusal,
    fewest_free_in,
    free_steps,
    transition_refusal,
)
from ...database import is_postgres, retry_on_conflict, write_transaction
from ...schemas.reservations import (
    AvailabilityOut,
    DayOut,
    PullListOut,
    ReservationList,
    ReservationOut,
    ReservationRuleOut,
    StepOut,
)
from ...tables import Device, Loan, Patron, Reservation, ReservationUnit
from ...tables import ReservationRule as RuleTable
from .._common import audit
from .._common.paging import page_of
from .._common.render import local_time, zone
from ..actors import Actor
from ..library.branches import branch_by_code
from ..library.policies import valid_kind
from ..library.service_points import PointRecord, point_by_code
from ..programs.scope import require_point
from .pool import OUT_OF_POOL, lock_pool, pool_facts, rule_for
from .shelf import fill_units, release_units
from .views import reservation_rows, reservation_view, reservation_views, visible_to

__all__ = [
    "availability",
    "cancel_reservation",
    "confirm_reservation",
    "create_reservation",
    "get_rule",
    "get_reservation",
    "list_reservations",
    "pull_list",
    "put_rule",
    "set_aside_now",
]

MAX_AVAILABILITY_DAYS = 93


def _rule_out(rule: ReservationRule) -> ReservationRuleOut:
    return ReservationRuleOut(
        kind=rule.kind,
        lead_time_hours=rule.lead_time_hours,
        max_length_hours=rule.max_length_hours,
        buffer_minutes=rule.buffer_minutes,
        set_aside_hours=rule.set_aside_hours,
        auto_cancel_minutes=rule.auto_cancel_minutes,
    )


async def get_rule(kind: str) -> ReservationRuleOut:
    return _rule_out(await rule_for(valid_kind(kind)))


async def put_rule(
    actor: Actor, now: datetime, kind: str, changes: dict[str, int]
) -> ReservationRuleOut:
    """Change some of a kind's rules (the rest keep their values). Reservations already made
    keep the times their rules gave them."""
    valid_kind(kind)
    async with write_transaction():
        current = await rule_for(kind)
        values = {
            "lead_time_hours": current.lead_time_hours,
            "max_length_hours": current.max_length_hours,
            "buffer_minutes": current.buffer_minutes,
            "set_aside_hours": current.set_aside_hours,
            "auto_cancel_minutes": current.auto_cancel_minutes,
            **changes,
        }
        if await RuleTable.exists().where(RuleTable.kind == kind):
            await RuleTable.update({getattr(RuleTable, k): v for k, v in values.items()}).where(
                RuleTable.kind == kind
            )
        else:
            await RuleTable.insert(RuleTable(kind=kind, **values))
        await audit.record(actor, "reservation_rules_changed", kind, now, dict(changes))
    return _rule_out(ReservationRule(kind, **values))


def _window(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise Invalid(FieldError("ends_at", "must be after starts_at"))


async def _named_devices(
    barcodes: list[str], kind: str, point: PointRecord, starts_at: datetime, free_at: datetime
) -> list[dict[str, Any]]:
    """The named devices, each of the kind, at the branch, and free for the whole window."""
    if len(set(barcodes)) != len(barcodes):
        raise Invalid(FieldError("devices", "a device is named twice"))
    devices = []
    for barcode in barcodes:
        device = await Device.select().where(Device.barcode == barcode).first()
        if device is None:
            raise Invalid(FieldError("devices", f"no device with barcode {barcode!r}"))
        if device["kind"] != kind or device["branch"] != point.branch_id:
            raise Conflict(
                f"Device {barcode} is not a {kind} of {point.branch_code}.",
                Code.DEVICE_NOT_FOR_RESERVATION,
                facts={"device": barcode},
            )
        if device["status"] in OUT_OF_POOL:
            raise Conflict(
                f"Device {barcode} is {device['status'].replace('_', ' ')}.",
                Code.DEVICE_NOT_FOR_RESERVATION,
                facts={"device": barcode, "status": device["status"]},
            )
        booked = await ReservationUnit.exists().where(
            (ReservationUnit.device == device["id"])
            & ReservationUnit.status.is_in([UnitStatus.BOOKED.value, UnitStatus.SET_ASIDE.value])
            & ReservationUnit.reservation.status.is_in(list(CAPACITY_STATUSES))
            & (ReservationUnit.reservation.starts_at < free_at)
            & (ReservationUnit.reservation.free_at > starts_at)
        )
        if booked:
            raise Conflict(
                f"Device {barcode} is booked for another reservation then.",
                Code.RESERVATION_UNAVAILABLE,
                facts={"device": barcode},
            )
        loan = (
            await Loan.select(Loan.due_at)
            .where((Loan.device == device["id"]) & Loan.returned_at.is_null())
            .first()
        )
        if loan is not None and loan["due_at"] > starts_at:
            raise Conflict(
                f"Device {barcode} is on loan until after the start.",
                Code.RESERVATION_UNAVAILABLE,
                facts={"device": barcode, "due_at": loan["due_at"].isoformat()},
            )
        devices.append(device)
    return devices


async def _responsible(
    patron_card: str | None, responsible: str | None, actor: Actor
) -> tuple[int | None, str]:
    if patron_card is None:
        return None, responsible or actor.name
    patron = (
        await Patron.select(Patron.id, Patron.name, Patron.blocked)
        .where(Patron.card_number == patron_card)
        .first()
    )
    if patron is None:
        raise Invalid(FieldError("patron", f"no patron with card number {patron_card!r}"))
    if patron["blocked"]:
        raise Conflict(
            f"Patron {patron_card} is blocked and cannot answer for a reservation.",
            Code.PATRON_BLOCKED,
        )
    return patron["id"], responsible or patron["name"]


@retry_on_conflict
async def create_reservation(
    actor: Actor,
    now: datetime,
    *,
    service_point: str,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    event: str,
    quantity: int | None = None,
    devices: list[str] | None = None,
    responsible: str | None = None,
    patron: str | None = None,
    notes: str = "",
) -> ReservationOut:
    """Book `quantity` devices of the kind, or the named `devices`, for [starts_at, ends_at) at
    the service point. Staff bookings are confirmed at once; partner staff's are requested,
    holding their devices until staff confirm. Refused when the rules or the pool say no; the
    pool is locked while it is counted, so two bookings for the last devices cannot both win."""
    valid_kind(kind)
    _window(starts_at, ends_at)
    names = list(devices or [])
    if quantity is None and not names:
        raise Invalid(FieldError("quantity", "give a quantity or the devices"))
    if quantity is not None and quantity < len(names):
        raise Invalid(FieldError("quantity", "fewer than the devices named"))
    count = quantity if quantity is not None else len(names)
    async with write_transaction():
        point = await point_by_code(service_point, field="service_point")
        if not point.active:
            raise Invalid(FieldError("service_point", f"{point.code} is not active"))
        await require_point(actor, point.id, "book devices")
        patron_id, who = await _responsible(patron, responsible, actor)
        rule = await rule_for(kind)
        await lock_pool(kind, point.branch_id)
        free_at = ends_at + rule.buffer
        named = await _named_devices(names, kind, point, starts_at, free_at)
        facts = await pool_facts(rule, point.branch_id, now, starts_at, free_at)
        refusal = booking_refusal(
            rule,
            now,
            starts_at,
            ends_at,
            quantity=count,
            pool=facts.pool,
            bookings=facts.bookings,
        )
        if refusal is not None:
            raise refusal.error()
        status = ReservationStatus.REQUESTED if actor.partner_id else ReservationStatus.CONFIRMED
        inserted = await Reservation.insert(
            Reservation(
                service_point=point.id,
                branch=point.branch_id,
                kind=kind,
                quantity=count,
                starts_at=starts_at,
                ends_at=ends_at,
                free_at=free_at,
                set_aside_at=rule.set_aside_at(starts_at),
                no_show_at=rule.no_show_at(starts_at),
                event=event,
                responsible=who,
                patron=patron_id,
                partner=actor.partner_id,
                status=status,
                made_by=actor.name,
                notes=notes,
                short=0,
                created_at=now,
            )
        ).returning(Reservation.id)
        reservation_id = inserted[0]["id"]
        units = [
            ReservationUnit(
                reservation=reservation_id, device=d["id"], named=True, status=UnitStatus.BOOKED
            )
            for d in named
        ] + [
            ReservationUnit(reservation=reservation_id, status=UnitStatus.BOOKED)
            for _ in range(count - len(named))
        ]
        await ReservationUnit.insert(*units)
        await audit.record(
            actor,
            "reservation_made",
            f"reservation:{reservation_id}",
            now,
            {
                "reservation": reservation_id,
                "kind": kind,
                "quantity": count,
                "devices": names,
                "service_point": point.code,
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat(),
                "status": status.value,
            },
        )
        if status == ReservationStatus.CONFIRMED and now >= rule.set_aside_at(starts_at):
            await fill_units(actor, now, reservation_id)
        return await reservation_view(reservation_id)


async def _locked_reservation(actor: Actor, reservation_id: int) -> dict[str, Any]:
    query = Reservation.select().where(Reservation.id == reservation_id)
    scope = visible_to(actor)
    if scope is not None:
        query = query.where(scope)
    if is_postgres():
        query = query.lock_rows(of=(Reservation,))
    row = await query.first()
    if row is None:
        raise NotFound(f"No reservation with id {reservation_id}.", Code.RESERVATION_NOT_FOUND)
    return row


@retry_on_conflict
async def confirm_reservation(actor: Actor, now: datetime, reservation_id: int) -> ReservationOut:
    """Staff confirm a partner's request (its devices were held from the request on)."""
    async with write_transaction():
        row = await _locked_reservation(actor, reservation_id)
        refusal = transition_refusal(row["status"], "confirm", reservation_id)
        if refusal is not None:
            raise refusal.error()
        await Reservation.update({Reservation.status: ReservationStatus.CONFIRMED}).where(
            Reservation.id == reservation_id
        )
        await audit.record(actor, "reservation_confirmed", f"reservation:{reservation_id}", now, {})
        if now >= row["set_aside_at"]:
            await fill_units(actor, now, reservation_id)
        return await reservation_view(reservation_id)


@retry_on_conflict
async def cancel_reservation(
    actor: Actor, now: datetime, reservation_id: int, reason: str
) -> ReservationOut:
    """Cancel (or decline) a reservation not yet picked up: its set-aside devices move on."""
    async with write_transaction():
        row = await _locked_reservation(actor, reservation_id)
        refusal = transition_refusal(row["status"], "cancel", reservation_id)
        if refusal is not None:
            raise refusal.error()
        await close(actor, now, row, ReservationStatus.CANCELLED, reason)
        return await reservation_view(reservation_id)


async def close(
    actor: Actor, now: datetime, row: dict[str, Any], status: ReservationStatus, reason: str
) -> int:
    """Close an open reservation (cancelled, no-show): its units go, its devices move on."""
    await Reservation.update(
        {
            Reservation.status: status,
            Reservation.closed_at: now,
            Reservation.close_reason: reason,
            Reservation.short: 0,
        }
    ).where(Reservation.id == row["id"])
    await audit.record(
        actor,
        "reservation_" + status.value,
        f"reservation:{row['id']}",
        now,
        {"reservation": row["id"], "reason": reason},
    )
    return await release_units(actor, now, row["id"], status.value)


@retry_on_conflict
async def set_aside_now(
    actor: Actor, now: datetime, reservation_id: int, barcodes: list[str]
) -> ReservationOut:
    """Pull devices for a confirmed reservation now (before its set-aside time too): the
    devices scanned first, then free ones the system chooses."""
    async with write_transaction():
        row = await _locked_reservation(actor, reservation_id)
        refusal = transition_refusal(row["status"], "set_aside", reservation_id)
        if refusal is not None:
            raise refusal.error()
        for barcode in barcodes:
            device = (
                await Device.select(Device.kind, Device.branch, Device.status)
                .where(Device.barcode == barcode)
                .first()
            )
            if device is None:
                raise Invalid(FieldError("devices", f"no device with barcode {barcode!r}"))
            wrong = device["kind"] != row["kind"] or device["branch"] != row["branch"]
            if wrong or device["status"] != DeviceStatus.AVAILABLE:
                raise Conflict(
                    f"Device {barcode} cannot be set aside for this reservation "
                    f"({device['kind']}, {device['status'].replace('_', ' ')}).",
                    Code.DEVICE_NOT_FOR_RESERVATION,
                    facts={"device": barcode, "status": device["status"]},
                )
        await fill_units(actor, now, reservation_id, barcodes)
        return await reservation_view(reservation_id)


async def get_reservation(actor: Actor, reservation_id: int) -> ReservationOut:
    return await reservation_view(reservation_id, actor)


def _overlapping(start: datetime | None, end: datetime | None) -> Any:
    where = None
    if start is not None:
        where = Reservation.free_at > start
    if end is not None:
        clause = Reservation.starts_at < end
        where = clause if where is None else where & clause
    return where


def _and(where: Any, clause: Any) -> Any:
    if clause is None:
        return where
    return clause if where is None else where & clause


async def list_reservations(
    actor: Actor,
    *,
    service_point: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> ReservationList:
    where = _and(_overlapping(start, end), visible_to(actor))
    if service_point is not None:
        point = await point_by_code(service_point, field="service_point")
        where = _and(where, Reservation.service_point == point.id)
    if kind is not None:
        where = _and(where, Reservation.kind == valid_kind(kind))
    if status is not None:
        if status not in {s.value for s in ReservationStatus}:
            raise Invalid(
                FieldError("status", f"must be one of {', '.join(s for s in ReservationStatus)}")
            )
        where = _and(where, Reservation.status == status)
    total_query = Reservation.count()
    if where is not None:
        total_query = total_query.where(where)
    total = await total_query
    rows = await reservation_rows(where, limit=limit, offset=offset)
    return page_of(await reservation_views(rows), total)


async def availability(
    actor: Actor,
    *,
    kind: str,
    first_day: date,
    days: int,
    service_point: str | None = None,
    branch: str | None = None,
    now: datetime,
) -> AvailabilityOut:
    """How many devices of the kind are free at the branch over `days` local days from
    `first_day` (from now on), as steps and as the fewest free on each day, with the
    reservations in that time."""
    valid_kind(kind)
    if not 1 <= days <= MAX_AVAILABILITY_DAYS:
        raise Invalid(FieldError("days", f"must be 1 to {MAX_AVAILABILITY_DAYS}"))
    point = None
    if service_point is not None:
        point = await point_by_code(service_point, field="service_point")
        branch_id, branch_code, tz = point.branch_id, point.branch_code, point.timezone
    elif branch is not None:
        record = await branch_by_code(branch, field="branch")
        branch_id, branch_code, tz = record.id, record.code, record.timezone
    else:
        raise Invalid(FieldError("service_point", "give a service point or a branch"))
    start = datetime.combine(first_day, datetime.min.time(), zone(tz))
    end = datetime.combine(first_day + timedelta(days=days), datetime.min.time(), zone(tz))
    rule = await rule_for(kind)
    since = max(start, now)
    facts = await pool_facts(rule, branch_id, now, since, end) if since < end else None
    steps = free_steps(facts.pool, facts.bookings, since, end) if facts else []
    where = (
        (Reservation.branch == branch_id)
        & (Reservation.kind == kind)
        & Reservation.status.is_in(list(CAPACITY_STATUSES))
        & (Reservation.free_at > start)
        & (Reservation.starts_at < end)
    )
    where = _and(where, visible_to(actor))
    rows = await reservation_rows(where)
    local = zone(tz)
    dates: list[date] = []
    windows: list[tuple[datetime, datetime]] = []
    day = start.astimezone(local).date()
    last = (end - timedelta(microseconds=1)).astimezone(local).date()
    while day <= last:
        day_start = max(datetime.combine(day, datetime.min.time(), local), start)
        day_end = min(datetime.combine(day + timedelta(days=1), datetime.min.time(), local), end)
        dates.append(day)
        windows.append((day_start, day_end))
        day += timedelta(days=1)
    pool = facts.pool if facts else 0
    fewest = fewest_free_in(steps, windows)
    # Each reservation into the days it touches (from its start until its devices are free).
    by_day: list[list[int]] = [[] for _ in dates]
    for r in rows:
        first_day = max(r["starts_at"], start).astimezone(local).date()
        last_day = (min(r["free_at"], end) - timedelta(microseconds=1)).astimezone(local).date()
        for index in range((first_day - dates[0]).days, (last_day - dates[0]).days + 1):
            if 0 <= index < len(dates):
                by_day[index].append(r["id"])
    days = [
        DayOut(
            date=d,
            fewest_free=fewest[i] if fewest[i] is not None else pool,
            reservations=by_day[i],
        )
        for i, d in enumerate(dates)
    ]
    return AvailabilityOut(
        kind=kind,
        branch=branch_code,
        service_point=point.code if point else None,
        pool=facts.pool if facts else 0,
        starts_at=local_time(start, tz),
        ends_at=local_time(end, tz),
        steps=[
            StepOut(
                starts_at=local_time(s.starts_at, tz),
                ends_at=local_time(s.ends_at, tz),
                free=s.free,
            )
            for s in steps
        ],
        days=days,
        reservations=await reservation_views(rows),
    )


async def pull_list(
    actor: Actor, now: datetime, *, days: int, service_point: str | None = None
) -> PullListOut:
    """What to set aside over the next `days` days: each confirmed, ready or requested
    reservation starting by then (earliest first), with its units, their devices and shelves,
    and what could not be set aside."""
    if not 1 <= days <= MAX_AVAILABILITY_DAYS:
        raise Invalid(FieldError("days", f"must be 1 to {MAX_AVAILABILITY_DAYS}"))
    until = now + timedelta(days=days)
    where = (
        Reservation.status.is_in(list(OPEN_RESERVATION_STATUSES))
        & (Reservation.starts_at < until)
        & (Reservation.ends_at > now)
    )
    if service_point is not None:
        point = await point_by_code(service_point, field="service_point")
        where = where & (Reservation.service_point == point.id)
    where = _and(where, visible_to(actor))
    rows = await reservation_rows(where)
    return PullListOut(
        service_point=service_point, until=until, reservations=await reservation_views(rows)
    )
