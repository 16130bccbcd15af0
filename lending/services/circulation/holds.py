"""The waitlist: one queue per device kind and branch. Devices are assigned to holds only at
checkin, or when a ready hold is cancelled or expires."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from ...circulation import (
    OPEN_HOLD_STATUSES,
    Conflict,
    DeviceStatus,
    FieldError,
    HoldStatus,
    Invalid,
    NotFound,
    PatronFacts,
    can_place_hold,
    hold_ready_until,
)
from ...circulation.codes import Code
from ...database import is_postgres, write_transaction
from ...schemas.base import HoldOut
from ...tables import Device, Hold, Loan
from .._common import audit
from .._common.guards import duplicate_is
from .._common.paging import Page, page_of
from .._common.render import local_time, zone
from .._common.rows import Row
from ..actors import Actor
from ..library.branches import branch_by_code, calendar_for
from ..library.policies import get_policy, valid_kind
from ..library.service_points import point_by_code
from ..notices.outbox import queue_notice

__all__ = [
    "HOLD_STATUSES",
    "cancel_hold",
    "fill_hold",
    "first_waiting_hold",
    "hold_rows",
    "hold_view",
    "list_holds",
    "move_holds_off_visit",
    "pass_on_shelf_device",
    "place_hold",
    "release_device_from_hold",
]

HOLD_STATUSES = tuple(s.value for s in HoldStatus)
OPEN = OPEN_HOLD_STATUSES

HOLD_COLUMNS = (
    Hold.all_columns(),
    Hold.patron.card_number.as_alias("patron_card"),
    Hold.branch.code.as_alias("branch_code"),
    Hold.branch.timezone.as_alias("branch_timezone"),
    Hold.device.barcode.as_alias("device_barcode"),
    Hold.pickup_point.code.as_alias("pickup_point_code"),
)


def hold_view(row: Row) -> HoldOut:
    tz = row["branch_timezone"]
    return HoldOut(
        id=row["id"],
        patron=row["patron_card"],
        kind=row["kind"],
        branch=row["branch_code"],
        status=row["status"],
        position=row.get("position"),
        device=row["device_barcode"],
        ready_until=local_time(row["ready_until"], tz),
        placed_at=local_time(row["placed_at"], tz),
        pickup_point=row.get("pickup_point_code"),
    )


async def _positions(rows: list[Row]) -> None:
    """Fill `position` (1 = next in line) for waiting holds, in one query per queue."""
    queues = {(r["kind"], r["branch"]) for r in rows if r["status"] == HoldStatus.WAITING}
    order: dict[int, int] = {}
    for kind, branch in queues:
        ids = (
            await Hold.select(Hold.id)
            .where(
                (Hold.kind == kind) & (Hold.branch == branch) & (Hold.status == HoldStatus.WAITING)
            )
            .order_by(Hold.placed_at)
            .order_by(Hold.id)
        )
        order.update({r["id"]: i for i, r in enumerate(ids, start=1)})
    for r in rows:
        r["position"] = order.get(r["id"])


async def hold_rows(
    *, patron_id: int | None = None, hold_id: int | None = None, open_only: bool = True
) -> list[Row]:
    query = Hold.select(*HOLD_COLUMNS).order_by(Hold.placed_at).order_by(Hold.id)
    if patron_id is not None:
        query = query.where(Hold.patron == patron_id)
    if hold_id is not None:
        query = query.where(Hold.id == hold_id)
    if open_only:
        query = query.where(Hold.status.is_in(list(OPEN)))
    rows = await query
    await _positions(rows)
    return rows


async def list_holds(
    *,
    status: str | None = None,
    kind: str | None = None,
    branch: str | None = None,
    patron_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    conditions: list[Any] = []
    if status:
        if status not in HOLD_STATUSES:
            raise Invalid(FieldError("status", f"must be one of {', '.join(HOLD_STATUSES)}"))
        conditions.append(Hold.status == status)
    else:
        conditions.append(Hold.status.is_in(list(OPEN)))
    if kind:
        conditions.append(Hold.kind == kind)
    if branch:
        conditions.append(Hold.branch.code == branch)
    if patron_id is not None:
        conditions.append(Hold.patron == patron_id)
    query = (
        Hold.select(*HOLD_COLUMNS)
        .where(*conditions)
        .order_by(Hold.kind)
        .order_by(Hold.branch)
        .order_by(Hold.placed_at)
        .order_by(Hold.id)
    )
    rows = await query.limit(limit).offset(offset)
    await _positions(rows)
    total = await Hold.count().where(*conditions)
    return page_of([hold_view(r) for r in rows], total)


async def place_hold(
    actor: Actor,
    now: datetime,
    *,
    card_number: str,
    kind: str,
    branch_code: str,
    pickup_point: str | None = None,
) -> HoldOut:
    from ..people.patrons import patron_by_card

    valid_kind(kind)
    async with write_transaction():
        patron = await patron_by_card(card_number)
        branch = await branch_by_code(branch_code, field="branch")
        pickup = None
        if pickup_point is not None:
            pickup = await point_by_code(pickup_point, field="pickup_point")
            if pickup.branch_id != branch.id or not pickup.active:
                raise Invalid(
                    FieldError(
                        "pickup_point",
                        f"{pickup.code} is not an active service point of {branch.code}",
                    )
                )
        today = now.astimezone(zone(branch.timezone)).date()
        has_open_hold = await Hold.exists().where(
            (Hold.patron == patron["id"]) & (Hold.kind == kind) & Hold.status.is_in(list(OPEN))
        )
        refusal = can_place_hold(
            await _patron_facts(patron, kind),
            await get_policy(kind),
            today,
            has_open_hold=has_open_hold,
        )
        if refusal:
            raise refusal.error()
        duplicate = Conflict(
            f"The patron already has an open hold for a {kind}.", Code.DUPLICATE_HOLD
        )
        with duplicate_is(duplicate):
            result = await Hold.insert(
                Hold(
                    patron=patron["id"],
                    kind=kind,
                    branch=branch.id,
                    status=HoldStatus.WAITING,
                    placed_at=now,
                    pickup_point=pickup.id if pickup else None,
                )
            ).returning(Hold.id)
        hold_id = result[0]["id"]
        await audit.record(
            actor,
            "hold_placed",
            card_number,
            now,
            {"hold": hold_id, "kind": kind, "branch": branch_code}
            | ({"pickup_point": pickup.code} if pickup else {}),
            patron_card=card_number,
        )
        rows = await hold_rows(hold_id=hold_id)
    return hold_view(rows[0])


async def move_holds_off_visit(actor: Actor, now: datetime, point: Any, day: date) -> int:
    """A visit of the vehicle `point` on `day` is cancelled: each ready hold to be collected
    there (its pickup window reaches that day) moves to the parent branch's desk, its window
    extended to a full pickup period from now, and the patron is told. Inside the caller's
    transaction; returns how many moved."""
    start = datetime.combine(day, time.min, tzinfo=zone(point.timezone)).astimezone(UTC)
    query = Hold.select(Hold.id, Hold.patron, Hold.kind, Hold.ready_until).where(
        (Hold.pickup_point == point.id)
        & (Hold.status == HoldStatus.READY)
        & (Hold.ready_until >= start)
    )
    if is_postgres():
        query = query.lock_rows(of=(Hold,))
    rows = await query
    branch = await _branch_of(point.branch_id)
    calendar = await calendar_for(point.branch_id, branch["timezone"], now)
    for row in rows:
        policy = await get_policy(row["kind"])
        until = max(row["ready_until"], hold_ready_until(policy, calendar, now))
        await Hold.update({Hold.pickup_point: None, Hold.ready_until: until}).where(
            Hold.id == row["id"]
        )
        await audit.record(
            actor,
            "hold_moved",
            point.code,
            now,
            {
                "hold": row["id"],
                "visit": day.isoformat(),
                "to": branch["code"],
                "ready_until": until.isoformat(),
            },
        )
        await queue_notice(
            "hold_moved", now, patron_id=row["patron"], stage=day.isoformat(), hold=row["id"]
        )
    return len(rows)


async def _patron_facts(patron: Row, kind: str) -> PatronFacts:
    """What the rules need to know of a patron for a kind: their open loans of it, and their
    household's (as the household is now)."""
    own = await Loan.count().where(
        (Loan.patron == patron["id"]) & (Loan.kind == kind) & Loan.returned_at.is_null()
    )
    household = None
    if patron.get("household"):
        household = await Loan.count().where(
            (Loan.patron.household == patron["household"])
            & (Loan.kind == kind)
            & Loan.returned_at.is_null()
        )
    return PatronFacts(
        id=patron["id"],
        blocked=patron["blocked"],
        block_reason=patron.get("block_reason"),
        expires_on=patron["expires_on"],
        active_loans_of_kind=own,
        household_active_loans_of_kind=household,
    )


async def first_waiting_hold(device: Row) -> Row | None:
    """The first waiting hold of the device's kind at its branch, locked (PostgreSQL skips
    holds another transaction is filling), or None when nobody waits. A fact for
    `next_place`; inside the caller's transaction."""
    query = (
        Hold.select(Hold.id, Hold.patron, Hold.patron.card_number.as_alias("patron_card"))
        .where(
            (Hold.kind == device["kind"])
            & (Hold.branch == device["branch"])
            & (Hold.status == HoldStatus.WAITING)
        )
        .order_by(Hold.placed_at)
        .order_by(Hold.id)
        .limit(1)
    )
    if is_postgres():
        query = query.lock_rows(skip_locked=True, of=(Hold,))
    return await query.first()


async def fill_hold(
    actor: Actor,
    now: datetime,
    device: Row,
    hold: Row,
    also: dict[Any, Any] | None = None,
) -> Row:
    """Put `device` on the hold shelf for `hold` (from `first_waiting_hold`): the hold is ready
    until the policy's pickup days run out, the patron is told. `also` are further device
    columns written in the same statement. Returns the hold row, now ready."""
    branch = await _branch_of(device["branch"])
    policy = await get_policy(device["kind"])
    calendar = await calendar_for(device["branch"], branch["timezone"], now)
    ready_until = hold_ready_until(policy, calendar, now)
    await Hold.update(
        {Hold.status: HoldStatus.READY, Hold.device: device["id"], Hold.ready_until: ready_until}
    ).where(Hold.id == hold["id"])
    await Device.update(
        {Device.status: DeviceStatus.ON_HOLD_SHELF, Device.updated_at: now, **(also or {})}
    ).where(Device.id == device["id"])
    await audit.record(
        actor,
        "hold_ready",
        device["barcode"],
        now,
        {"hold": hold["id"], "ready_until": ready_until.isoformat()},
        patron_card=hold["patron_card"],
    )
    if hold["patron"] is not None:
        await queue_notice(
            "hold_ready", now, patron_id=hold["patron"], hold=hold["id"], stage="ready"
        )
    rows = await hold_rows(hold_id=hold["id"])
    return rows[0]


async def _branch_of(branch_id: int) -> Row:
    from ...tables import Branch

    return await Branch.select().where(Branch.id == branch_id).first()


async def release_device_from_hold(
    actor: Actor, now: datetime, device_id: int, *, reason: str
) -> None:
    """A hold-shelf device leaves the shelf for another reason (repair, retired...): its ready
    hold goes back to waiting, keeping its place at the front of the queue, and the trail says
    so (on the device's barcode, with the patron)."""
    ready = await Hold.select(
        Hold.id,
        Hold.patron.card_number.as_alias("patron_card"),
        Hold.device.barcode.as_alias("barcode"),
    ).where((Hold.device == device_id) & (Hold.status == HoldStatus.READY))
    if not ready:
        return
    await Hold.update(
        {Hold.status: HoldStatus.WAITING, Hold.device: None, Hold.ready_until: None}
    ).where(Hold.id.is_in([h["id"] for h in ready]))
    for hold in ready:
        await audit.record(
            actor,
            "hold_back_in_queue",
            hold["barcode"],
            now,
            {"hold": hold["id"], "reason": reason},
            patron_card=hold["patron_card"],
        )


async def pass_on_shelf_device(actor: Actor, now: datetime, device_id: int) -> Row | None:
    """A hold-shelf device whose ready hold has closed goes to its next place: the next
    waiting patron, or back on the shelf. The closed hold must no longer be `ready`. Returns
    the hold it now fills, or None. Runs inside the caller's transaction."""
    from .lifecycle import move_on

    device = await Device.select().where(Device.id == device_id).first()
    if device is None or device["status"] != DeviceStatus.ON_HOLD_SHELF:
        return None
    placed = await move_on(actor, now, device, processed=True)
    return placed.hold


async def cancel_hold(
    actor: Actor, now: datetime, hold_id: int, *, patron_id: int | None = None
) -> HoldOut:
    """Cancel an open hold. A ready hold's device goes to the next waiting patron or back
    to available. `patron_id` limits it to that patron's holds (residents)."""
    async with write_transaction():
        query = Hold.select(
            Hold.all_columns(),
            Hold.patron.card_number.as_alias("patron_card"),
        ).where(Hold.id == hold_id)
        if patron_id is not None:
            query = query.where(Hold.patron == patron_id)
        if is_postgres():
            query = query.lock_rows(of=(Hold,))
        hold = await query.first()
        if hold is None:
            raise NotFound(f"No hold with id {hold_id}.", Code.HOLD_NOT_FOUND)
        if hold["status"] not in OPEN:
            raise Conflict(f"This hold is already {hold['status']}.", Code.HOLD_NOT_OPEN)
        await Hold.update({Hold.status: HoldStatus.CANCELLED, Hold.closed_at: now}).where(
            Hold.id == hold_id
        )
        await audit.record(
            actor,
            "hold_cancelled",
            hold["patron_card"] or str(hold_id),
            now,
            {"hold": hold_id, "kind": hold["kind"]},
            patron_card=hold["patron_card"],
        )
        if hold["status"] == HoldStatus.READY and hold["device"] is not None:
            await pass_on_shelf_device(actor, now, hold["device"])
        rows = await hold_rows(hold_id=hold_id, open_only=False)
    return hold_view(rows[0])
