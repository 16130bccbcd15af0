"""Checkout, checkin and renewal: gather facts (locking rows on PostgreSQL), ask the rules,
write the loan, the device status and the audit event in one transaction."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec
from msgspec import structs

from ...circulation import (
    OPEN_HOLD_STATUSES,
    BranchCalendar,
    ChargeStatus,
    Conflict,
    DeviceFacts,
    DeviceStatus,
    FieldError,
    HoldStatus,
    Invalid,
    LoanFacts,
    LoanPolicy,
    LoanStatus,
    NotFound,
    OverdueLoan,
    PatronFacts,
    can_check_out,
    can_renew,
    checkout_due_at,
    renewed_due_at,
    stop_lent_at,
    vehicle_due_at,
)
from ...circulation.codes import Code
from ...circulation.programs import program_policy
from ...circulation.schedules import VEHICLE_TYPES
from ...database import is_postgres, retry_on_conflict, write_transaction
from ...schemas.base import CheckinReply, LoanReply, SetAsideOut, ShortenedOut
from ...tables import Branch, Charge, Device, Hold, Loan, Patron
from .._common import audit
from .._common.guards import unique_violation
from .._common.render import local_time, zone
from .._common.sql import for_update
from ..actors import Actor
from ..inventory.devices import device_by_barcode, device_view
from ..inventory.kits import loan_kit, record_return, send_out_parts
from ..library.branches import calendar_for
from ..library.policies import get_policy
from ..library.service_points import (
    PointRecord,
    cancelled_visits,
    point_by_code,
    stop_patterns,
)
from ..lines.carrier_actions import queue_restore
from ..lines.service_lines import line_after_checkin, line_is_suspended
from ..programs.lending import program_for_checkout, program_terms
from ..programs.scope import require_point, require_program
from ..reservations.pickup import unit_returned
from ..reservations.walk_up import event_of, walk_up_due
from . import hot_path
from .holds import hold_view, pass_on_shelf_device
from .lifecycle import move_on
from .loans import loan_rows, loan_view

__all__ = ["check_in", "check_out", "overdue_loans", "renew", "vehicle_loan_due_at"]

# Kinds with return-to-service steps: set per kind (services/inventory/processing.py, PUT
# /api/policies/{kind}/steps); checkin asks `kind_has_steps`.


async def _lock_household(household: str) -> None:
    if is_postgres():
        await Patron.raw("SELECT pg_advisory_xact_lock(hashtext({}))", "household:" + household)


async def overdue_loans(
    patron_id: int, household: str | None, now: datetime, *, with_household: bool = True
) -> tuple[OverdueLoan, ...]:
    """Loans of any kind still out past their due date: the patron's own and, when asked, those
    of the rest of their household (the household as it is now)."""
    whose = Loan.patron == patron_id
    if household and with_household:
        whose = whose | (Loan.patron.household == household)
    rows = (
        await Loan.select(
            Loan.device.barcode.as_alias("device"), Loan.kind, Loan.due_at, Loan.patron
        )
        .where(whose & Loan.returned_at.is_null() & (Loan.due_at < now))
        .order_by(Loan.due_at)
    )
    return tuple(
        OverdueLoan(r["device"], r["kind"], r["due_at"], own=r["patron"] == patron_id) for r in rows
    )


async def _overdue_loans(patron_id: int, household: str | None, policy, now: datetime):
    """The overdue facts checkout needs (none read when the kind's policy ignores them)."""
    if policy.overdue_blocks_checkout == "off":
        return ()
    scope = policy.overdue_blocks_checkout == "household"
    return await overdue_loans(patron_id, household, now, with_household=scope)


@retry_on_conflict
async def check_out(
    actor: Actor,
    now: datetime,
    *,
    card_number: str,
    barcode: str,
    service_point: str | PointRecord | None = None,
    program: str | None = None,
) -> LoanReply:
    """Lend the device to the patron. `service_point`: where the desk is; the loan records it,
    and a loan from a vehicle is due on a day the vehicle is back at the stop. `program`: the
    program it is lent under (else the device's program, or the patron's only one); its
    requirements and terms apply."""
    async with write_transaction():
        point = None
        if isinstance(service_point, PointRecord):  # already looked up (an offline replay)
            point = service_point
        elif service_point is not None:
            point = await point_by_code(service_point, field="service_point")
        if point is not None:
            if not point.active:
                raise Invalid(FieldError("service_point", f"{point.code} is not active"))
            await require_point(actor, point.id, "lend")
        # Only a vehicle's due date depends on the service point (its stops).
        plain_point = point is None or point.type not in VEHICLE_TYPES
        if is_postgres() and program is None and actor.partner_id is None and plain_point:
            # Four round trips when nothing rare is involved (five with a service point).
            actor, reply = await hot_path.check_out(actor, now, card_number, barcode, point)
            if reply is not None:
                return reply
        return await _check_out(actor, now, card_number, barcode, point, program)


async def vehicle_loan_due_at(
    point: PointRecord, policy: LoanPolicy, calendar: BranchCalendar, now: datetime
) -> datetime:
    """The due date of a loan made on a vehicle: on a day it is back at the stop."""
    stops = await stop_patterns(point.id)
    start = calendar.local_date(now)
    cancelled = await cancelled_visits([s.id for s in stops], start, start + timedelta(days=400))
    local_now = now.astimezone(calendar.timezone).time()
    lent_at = stop_lent_at(stops, cancelled, start, local_now)
    return vehicle_due_at(policy, calendar, now, stops, cancelled=cancelled, lent_at_stop=lent_at)


async def _check_out(
    actor: Actor,
    now: datetime,
    card_number: str,
    barcode: str,
    point: PointRecord | None = None,
    program: str | None = None,
) -> LoanReply:
    """Checkout in general (every case), inside the caller's transaction."""
    # Lock order (PostgreSQL): the patron, their household, their open holds, then devices
    # (this one, then a shelf device passed on). Cancelling or expiring a ready hold locks
    # the hold before its device; locking this device first would deadlock with that, and
    # with the same patron checking out their shelf device at another desk.
    patron = await for_update(
        Patron.select(
            Patron.id, Patron.blocked, Patron.block_reason, Patron.expires_on, Patron.household
        ).where(Patron.card_number == card_number)
    ).first()
    household = patron["household"] if patron else None
    if household:
        await _lock_household(household)
    # The patron's own open hold for this device's kind (at most one, at any branch).
    own_holds = []
    if patron is not None:
        own_holds = await for_update(
            Hold.select(Hold.id, Hold.status, Hold.device).where(
                (Hold.patron == patron["id"])
                & Hold.kind.is_in(Device.select(Device.kind).where(Device.barcode == barcode))
                & Hold.status.is_in(list(OPEN_HOLD_STATUSES))
            )
        )
    device = await for_update(
        Device.select(
            Device.id, Device.barcode, Device.kind, Device.status, Device.branch, Device.program
        ).where(Device.barcode == barcode)
    ).first()
    if device is None:
        raise NotFound(f"No device with barcode {barcode!r}.", Code.DEVICE_NOT_FOUND)
    if patron is None:
        raise NotFound(f"No patron with card number {card_number!r}.", Code.PATRON_NOT_FOUND)
    kind = device["kind"]
    branch = await Branch.select().where(Branch.id == device["branch"]).first()
    held_for = None
    ready_hold = None
    if device["status"] == DeviceStatus.ON_HOLD_SHELF:
        ready_hold = (
            await Hold.select(Hold.id, Hold.patron)
            .where((Hold.device == device["id"]) & (Hold.status == HoldStatus.READY))
            .first()
        )
        held_for = ready_hold["patron"] if ready_hold else None
    open_loans = Loan.count().where(
        (Loan.patron == patron["id"]) & (Loan.kind == kind) & Loan.returned_at.is_null()
    )
    household_loans = None
    if household:
        # The household as it is now: a member who joined brings their loans along, one
        # who left takes theirs away (loan.household only records it at checkout).
        household_loans = await Loan.count().where(
            (Loan.patron.household == household) & (Loan.kind == kind) & Loan.returned_at.is_null()
        )
    policy = await get_policy(kind)
    today = now.astimezone(zone(point.timezone if point else branch["timezone"])).date()
    under = await program_for_checkout(
        actor,
        chosen=program,
        patron_id=patron["id"],
        household=household,
        device_id=device["id"],
        device_program=device["program"],
        kind=kind,
        point=point.code if point else None,
        today=today,
    )
    if under is not None:
        policy = program_policy(policy, under.terms)
        if under.terms.household_limit is not None:
            household_loans = None  # the program's own household limit replaces the kind's
        if point is None and under.only_point is not None:
            point = await point_by_code(under.only_point)
    facts = PatronFacts(
        id=patron["id"],
        blocked=patron["blocked"],
        block_reason=patron["block_reason"],
        expires_on=patron["expires_on"],
        active_loans_of_kind=await open_loans,
        household_active_loans_of_kind=household_loans,
        overdue_loans=await _overdue_loans(patron["id"], household, policy, now),
    )
    refusal = can_check_out(
        DeviceFacts(device["barcode"], device["status"], held_for),
        facts,
        policy,
        today,
        now=now,
    )
    if refusal:
        raise refusal.error()
    # The patron's own open hold for this kind (at most one, at any branch) is met by
    # this loan, whichever device of the kind they take.
    own_hold = own_holds[0] if own_holds else None
    calendar = await calendar_for(branch["id"], branch["timezone"], now)
    if point is not None and point.type in VEHICLE_TYPES:
        # The vehicle's zone and its parent branch's closed days.
        calendar = await calendar_for(point.branch_id, point.timezone, now)
        due_at = await vehicle_loan_due_at(point, policy, calendar, now)
    else:
        due_at = checkout_due_at(policy, calendar, now)
    # A reservation that needs the device (or the kind's pool) shortens it, or refuses it.
    limited = await walk_up_due(kind, branch["id"], device["id"], now, due_at)
    due_otherwise, due_at = due_at, limited.due_at
    try:
        inserted = await Loan.insert(
            Loan(
                device=device["id"],
                patron=patron["id"],
                branch=branch["id"],
                kind=kind,
                household=household,
                checked_out_at=now,
                due_at=due_at,
                renewals=0,
                status=LoanStatus.ACTIVE,
                checked_out_by=actor.name,
                service_point=point.id if point else None,
                program=under.program.id if under else None,
                shortened_for=limited.reservation,
            )
        ).returning(Loan.id)
    except Exception as exc:
        if unique_violation(exc):
            raise Conflict(
                f"Device {barcode} is already on loan.", Code.DEVICE_UNAVAILABLE
            ) from None
        raise
    loan_id = inserted[0]["id"]
    await Device.update({Device.status: DeviceStatus.ON_LOAN, Device.updated_at: now}).where(
        Device.id == device["id"]
    )
    details = {"loan": loan_id, "kind": kind, "due_at": due_at.isoformat()}
    if point is not None:
        details["service_point"] = point.code
    if under is not None:
        details["program"] = under.program.code
    if limited.shortened:
        details["shortened_for"] = limited.reservation
    # A hotspot lent while its line is suspended (it was suspended while overdue and the
    # restore has not gone through): restore it now.
    restore = await line_is_suspended(device["id"]) and await queue_restore(
        device["id"], now, actor.name
    )
    if restore:
        details["line_restore_queued"] = True
    parts_out = await send_out_parts(loan_id, device["id"])  # the kit goes with it
    if parts_out:
        details["parts_out"] = parts_out
    if own_hold is not None:
        await Hold.update(
            {Hold.status: HoldStatus.FULFILLED, Hold.closed_at: now, Hold.device: device["id"]}
        ).where(Hold.id == own_hold["id"])
        details["hold_fulfilled"] = own_hold["id"]
        shelf_device = own_hold["device"]
        if own_hold["status"] == HoldStatus.READY and shelf_device not in (None, device["id"]):
            # The device set aside for them goes to the next patron in line.
            await pass_on_shelf_device(actor, now, shelf_device)
    await audit.record(
        actor, "checkout", barcode, now, details, patron_card=card_number, loan=loan_id
    )
    kit = (await loan_kit(loan_id)).items if parts_out else []
    # The reply is built from what this transaction wrote (no read-back: it is the hot path).
    loan_row = {
        "id": loan_id,
        "device_barcode": device["barcode"],
        "patron_card": card_number,
        "branch_code": branch["code"],
        "branch_timezone": branch["timezone"],
        "kind": kind,
        "checked_out_at": now,
        "due_at": due_at,
        "renewals": 0,
        "status": LoanStatus.ACTIVE,
        "returned_at": None,
        "service_point_code": point.code if point else None,
        "program_code": under.program.code if under else None,
        "shortened_for": limited.reservation,
    }
    shortened = None
    if limited.reservation is not None and limited.reservation_starts_at is not None:
        tz = branch["timezone"]
        shortened = ShortenedOut(
            reservation=limited.reservation,
            event=await event_of(limited.reservation),
            starts_at=local_time(limited.reservation_starts_at, tz),
            due_at_otherwise=local_time(due_otherwise, tz),
        )
    return LoanReply(
        loan=loan_view(loan_row, now),
        kit=kit,
        shortened=shortened,
        line_restore_queued=bool(restore),
    )


@retry_on_conflict
async def check_in(
    actor: Actor,
    now: datetime,
    *,
    barcode: str,
    missing_parts: list[str] | None = None,
    damaged_parts: list[str] | None = None,
    damage: str | None = None,
) -> CheckinReply:
    """Check a device in. Its kit comes back except parts reported missing or damaged
    (charged to the loan, noted on the device); `damage` sends it to repair; a kind with
    return-to-service steps goes to processing when no hold waits."""
    async with write_transaction():
        simple = not (missing_parts or damaged_parts or damage or actor.partner_id)
        if is_postgres() and simple:
            actor, reply = await hot_path.check_in(actor, now, barcode)
            if reply is not None:
                return reply
        return await _check_in(actor, now, barcode, missing_parts, damaged_parts, damage)


async def _check_in(
    actor: Actor,
    now: datetime,
    barcode: str,
    missing_parts: list[str] | None,
    damaged_parts: list[str] | None,
    damage: str | None,
) -> CheckinReply:
    """Checkin in general (every case), inside the caller's transaction."""
    from ..inventory.maintenance import maintenance_view
    from ..inventory.processing import current_processing

    device = await for_update(Device.select().where(Device.barcode == barcode)).first()
    if device is None:
        raise NotFound(f"No device with barcode {barcode!r}.", Code.DEVICE_NOT_FOUND)
    loan = (
        await Loan.select(
            Loan.id,
            Loan.status,
            Loan.patron,
            Loan.program,
            Loan.reservation,
            Loan.patron.card_number.as_alias("patron_card"),
        )
        .where((Loan.device == device["id"]) & Loan.returned_at.is_null())
        .first()
    )
    if loan is None:
        raise Conflict(f"Device {barcode} was not on loan.", Code.NOT_ON_LOAN)
    await require_program(actor, loan["program"], "check in devices lent")
    await Loan.update({Loan.returned_at: now, Loan.status: LoanStatus.RETURNED}).where(
        Loan.id == loan["id"]
    )
    details: dict[str, Any] = {"loan": loan["id"], "was": loan["status"]}
    if loan["reservation"] is not None:  # back from an event
        details["reservation"] = loan["reservation"]
        await unit_returned(actor, now, loan["id"], loan["reservation"])
    if loan["status"] == LoanStatus.LOST:  # a lost device came back: its replacement charge goes
        details["charges_waived"] = await waive_charges(loan["id"], now)
    restore_queued = await queue_restore(device["id"], now, actor.name)
    if restore_queued:
        details["line_restore_queued"] = True
    kit, part_notes = await record_return(
        actor, now, loan, device["id"], missing_parts or [], damaged_parts or []
    )
    if part_notes:
        details["parts"] = [structs.asdict(note) for note in part_notes]
    if damage:
        details["damage"] = damage
    await audit.record(
        actor,
        "checkin",
        barcode,
        now,
        details,
        patron_card=loan["patron_card"],
        loan=loan["id"],
    )
    # Every checkin is a sighting; the device then goes to its next place (repair when
    # damaged, return to service, the hold shelf, or back on the shelf).
    placed = await move_on(
        actor,
        now,
        device,
        damaged=bool(damage),
        loan_id=loan["id"],
        problem=damage or "",
        also={Device.last_seen_at: now},
    )
    hold, repair = placed.hold, placed.repair
    rows = await loan_rows(Loan.id == loan["id"])
    device_row = await device_by_barcode(barcode)
    line = await line_after_checkin(device["id"], restore_queued)
    processing = None
    if device_row["status"] == DeviceStatus.IN_PROCESSING:
        processing = await current_processing(device["id"], device_row["branch_timezone"])
    return CheckinReply(
        loan=loan_view(rows[0], now),
        device=device_view(device_row, None),
        hold=hold_view(hold) if hold else None,
        line=line,
        kit=kit,
        processing=processing,
        repair=maintenance_view({**repair, "barcode": barcode}, device_row["branch_timezone"])
        if repair
        else None,
        charges_waived=details.get("charges_waived", msgspec.UNSET),
        set_aside=_set_aside_view(placed.reservation, device_row["branch_timezone"]),
    )


def _set_aside_view(reservation: Any, timezone: str) -> SetAsideOut | None:
    if reservation is None:
        return None
    return SetAsideOut(
        reservation=reservation["id"],
        event=reservation["event"],
        starts_at=local_time(reservation["starts_at"], timezone),
        service_point=reservation.get("point_code") or "",
    )


async def waive_charges(loan_id: int, now: datetime) -> int:
    """Waive the open charges of a loan (a lost device was returned); returns how many."""
    open_charges = await Charge.select(Charge.id).where(
        (Charge.loan == loan_id) & (Charge.status == ChargeStatus.OPEN)
    )
    if open_charges:
        await Charge.update({Charge.status: ChargeStatus.WAIVED, Charge.closed_at: now}).where(
            (Charge.loan == loan_id) & (Charge.status == ChargeStatus.OPEN)
        )
    return len(open_charges)


@retry_on_conflict
async def renew(
    actor: Actor, now: datetime, loan_id: int, *, patron_id: int | None = None
) -> LoanReply:
    """Renew a loan. `patron_id` limits it to that patron's loans (residents): any other
    loan is reported as not found."""
    async with write_transaction():
        if is_postgres():
            actor, reply = await hot_path.renew(actor, now, loan_id, patron_id)
            if reply is not None:
                return reply
        return await _renew(actor, now, loan_id, patron_id)


async def _renew(actor: Actor, now: datetime, loan_id: int, patron_id: int | None) -> LoanReply:
    """Renewal in general, inside the caller's transaction."""
    query = Loan.select(
        Loan.all_columns(),
        Loan.patron.blocked.as_alias("patron_blocked"),
        Loan.device.barcode.as_alias("device_barcode"),
        Loan.patron.card_number.as_alias("patron_card"),
    ).where(Loan.id == loan_id)
    if patron_id is not None:
        query = query.where(Loan.patron == patron_id)
    loan = await for_update(query).first()
    if loan is None:
        raise NotFound(f"No loan with id {loan_id}.", Code.LOAN_NOT_FOUND)
    policy = await get_policy(loan["kind"])
    if loan["program"] is not None:
        policy = program_policy(policy, await program_terms(loan["program"], loan["kind"]))
    others_waiting = await Hold.exists().where(
        (Hold.kind == loan["kind"])
        & (Hold.branch == loan["branch"])
        & (Hold.status == HoldStatus.WAITING)
    )
    available = 0
    if others_waiting:
        available = await Device.count().where(
            (Device.kind == loan["kind"])
            & (Device.branch == loan["branch"])
            & (Device.status == DeviceStatus.AVAILABLE)
        )
    facts = LoanFacts(
        status=loan["status"],
        renewals=loan["renewals"],
        due_at=loan["due_at"],
        patron_blocked=bool(loan["patron_blocked"]),
    )
    refusal = can_renew(
        facts,
        policy,
        others_waiting,
        available,
        now=now,
        by_resident=actor.role == "resident",
    )
    if refusal:
        raise refusal.error()
    branch = await Branch.select().where(Branch.id == loan["branch"]).first()
    calendar = await calendar_for(branch["id"], branch["timezone"], now)
    due_at = renewed_due_at(facts, policy, calendar, now)
    limited = await walk_up_due(
        loan["kind"], loan["branch"], loan["device"], now, due_at, current_due=loan["due_at"]
    )
    due_at = limited.due_at
    changes: dict[Any, Any] = {Loan.due_at: due_at, Loan.renewals: loan["renewals"] + 1}
    if limited.shortened:
        changes[Loan.shortened_for] = limited.reservation
    await Loan.update(changes).where(Loan.id == loan_id)
    await audit.record(
        actor,
        "renew",
        loan["device_barcode"],
        now,
        {"loan": loan_id, "due_at": due_at.isoformat(), "renewals": loan["renewals"] + 1},
        patron_card=loan["patron_card"],
        loan=loan_id,
    )
    rows = await loan_rows(Loan.id == loan_id)
    return LoanReply(loan=loan_view(rows[0], now))
