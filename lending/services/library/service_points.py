"""Service points: where the library lends, inside and beyond its walls.

Every branch has its own desk (a point of type `branch`, with the branch's code, made with the
branch). Bookmobiles, mobile labs, partner sites and lockers are added here; each belongs to a
parent branch whose closed days it keeps and whose time zone it uses unless it has its own.
Fixed points have weekly hours; vehicles have stops, each in a season, which can be cancelled
one visit at a time. The schedule rules are in `circulation.schedules`.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Any

from msgspec import Struct

from ...circulation import Conflict, FieldError, Invalid, NotFound
from ...circulation.codes import Code
from ...circulation.schedules import (
    VEHICLE_TYPES,
    WEEKDAYS,
    ServicePointType,
    StopPattern,
    check_stop,
    parse_weekly_hours,
    visits,
    weekly_hours_json,
)
from ...database import write_transaction
from ...schemas.service_points import (
    ScheduleOut,
    ServicePointList,
    ServicePointOut,
    StopCancellationOut,
    StopOut,
    VisitOut,
)
from ...tables import ServicePoint, ServiceStop, StopCancellation
from .._common import audit
from .._common.guards import duplicate_is
from ..actors import Actor
from .branches import branch_by_code, valid_timezone

__all__ = [
    "PointRecord",
    "add_stop",
    "cancelled_visits",
    "cancel_visit",
    "create_service_point",
    "get_service_point",
    "list_service_points",
    "point_by_code",
    "remove_stop",
    "schedule",
    "stop_patterns",
    "update_service_point",
]

MAX_SCHEDULE_DAYS = 400


class PointRecord(Struct, kw_only=True, frozen=True):
    """A service point as other services need it."""

    id: int
    code: str
    name: str
    type: ServicePointType
    branch_id: int
    branch_code: str
    timezone: str  # its own zone, else the parent branch's
    own_timezone: str | None
    address: str
    hours: dict[str, list[list[str]]]
    active: bool


_RECORD = (
    ServicePoint.id,
    ServicePoint.code,
    ServicePoint.name,
    ServicePoint.type,
    ServicePoint.branch.id.as_alias("branch_id"),
    ServicePoint.branch.code.as_alias("branch_code"),
    ServicePoint.branch.timezone.as_alias("branch_timezone"),
    ServicePoint.timezone,
    ServicePoint.address,
    ServicePoint.hours,
    ServicePoint.active,
)


def _hours(raw: Any) -> dict[str, list[list[str]]]:
    return json.loads(raw) if isinstance(raw, str) else dict(raw or {})


def _record(row: dict[str, Any]) -> PointRecord:
    return PointRecord(
        id=row["id"],
        code=row["code"],
        name=row["name"],
        type=ServicePointType(row["type"]),
        branch_id=row["branch_id"],
        branch_code=row["branch_code"],
        timezone=row["timezone"] or row["branch_timezone"],
        own_timezone=row["timezone"],
        address=row["address"],
        hours=_hours(row["hours"]),
        active=bool(row["active"]),
    )


def _duplicate(code: str) -> Conflict:
    return Conflict(
        f"A service point with code {code!r} already exists.", Code.DUPLICATE_SERVICE_POINT
    )


async def point_by_code(code: str, *, field: str | None = None) -> PointRecord:
    """The service point; NotFound (404), or Invalid (422) on `field` when it came in a body."""
    row = await ServicePoint.select(*_RECORD).where(ServicePoint.code == code).first()
    if row is None:
        if field:
            raise Invalid(FieldError(field, f"no service point with code {code!r}"))
        raise NotFound(f"No service point with code {code!r}.", Code.SERVICE_POINT_NOT_FOUND)
    return _record(row)


def _clock(value: str, field: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise Invalid(FieldError(field, f"{value!r} is not a time of day, HH:MM")) from None


def _stop_out(row: dict[str, Any]) -> StopOut:
    return StopOut(
        id=row["id"],
        place=row["place"],
        weekday=WEEKDAYS[row["weekday"]],
        starts=row["starts"],
        ends=row["ends"],
        season_starts=row["season_starts"],
        season_ends=row["season_ends"],
        every_weeks=row["every_weeks"],
    )


def _pattern(row: dict[str, Any]) -> StopPattern:
    return StopPattern(
        id=row["id"],
        place=row["place"],
        weekday=row["weekday"],
        starts=time.fromisoformat(row["starts"]),
        ends=time.fromisoformat(row["ends"]),
        season_starts=row["season_starts"],
        season_ends=row["season_ends"],
        every_weeks=row["every_weeks"],
    )


async def _stops(point_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    stops: dict[int, list[dict[str, Any]]] = {i: [] for i in point_ids}
    if point_ids:
        rows = (
            await ServiceStop.select()
            .where(ServiceStop.service_point.is_in(point_ids))
            .order_by(ServiceStop.weekday)
            .order_by(ServiceStop.starts)
            .order_by(ServiceStop.id)
        )
        for row in rows:
            stops[row["service_point"]].append(row)
    return stops


def _out(point: PointRecord, stops: list[dict[str, Any]]) -> ServicePointOut:
    return ServicePointOut(
        code=point.code,
        name=point.name,
        type=point.type.value,
        branch=point.branch_code,
        address=point.address,
        timezone=point.timezone,
        own_timezone=point.own_timezone,
        hours=point.hours,
        active=point.active,
        stops=[_stop_out(s) for s in stops],
    )


def _checked_hours(point_type: ServicePointType, hours: Any) -> dict[str, list[list[str]]]:
    parsed = parse_weekly_hours(hours)
    if parsed and point_type in VEHICLE_TYPES:
        raise Invalid(FieldError("hours", "a vehicle has stops, not weekly hours"))
    return weekly_hours_json(parsed)


async def create_service_point(
    actor: Actor,
    now: datetime,
    *,
    code: str,
    name: str,
    type: str,
    branch: str,
    address: str = "",
    timezone: str | None = None,
    hours: Any = None,
) -> ServicePointOut:
    point_type = ServicePointType(type)
    if point_type is ServicePointType.BRANCH:
        raise Invalid(
            FieldError("type", "a branch's own desk is made with the branch (POST /api/branches)")
        )
    if timezone is not None:
        valid_timezone(timezone)
    checked = _checked_hours(point_type, hours or {})
    async with write_transaction():
        parent = await branch_by_code(branch, field="branch")
        if await ServicePoint.exists().where(ServicePoint.code == code):
            raise _duplicate(code)
        with duplicate_is(_duplicate(code)):
            await ServicePoint.insert(
                ServicePoint(
                    code=code,
                    name=name,
                    type=point_type.value,
                    branch=parent.id,
                    address=address,
                    timezone=timezone,
                    hours=json.dumps(checked),
                    active=True,
                    created_at=now,
                )
            )
        await audit.record(
            actor,
            "service_point_created",
            code,
            now,
            {"name": name, "type": point_type.value, "branch": parent.code},
        )
        point = await point_by_code(code)
    return _out(point, [])


async def list_service_points(
    *, type: str | None = None, branch: str | None = None, limit: int = 50, offset: int = 0
) -> ServicePointList:
    condition = ServicePoint.id.is_not_null()
    if type:
        condition &= ServicePoint.type == type
    if branch:
        condition &= ServicePoint.branch.code == branch
    rows = (
        await ServicePoint.select(*_RECORD)
        .where(condition)
        .order_by(ServicePoint.code)
        .limit(limit)
        .offset(offset)
    )
    points = [_record(r) for r in rows]
    stops = await _stops([p.id for p in points])
    return ServicePointList(
        items=[_out(p, stops[p.id]) for p in points],
        total=await ServicePoint.count().where(condition),
    )


async def get_service_point(code: str) -> ServicePointOut:
    point = await point_by_code(code)
    return _out(point, (await _stops([point.id]))[point.id])


async def update_service_point(
    actor: Actor, now: datetime, code: str, changes: dict[str, Any]
) -> ServicePointOut:
    """Change the name, address, own time zone (None: the parent branch's), hours or whether
    the point is active (an inactive point is kept for history and offered to no desk)."""
    if changes.get("timezone") is not None:
        valid_timezone(changes["timezone"])
    async with write_transaction():
        point = await point_by_code(code)
        values = dict(changes)
        if "hours" in values:
            values["hours"] = json.dumps(_checked_hours(point.type, values["hours"]))
        if values:
            await ServicePoint.update(
                {getattr(ServicePoint, name): value for name, value in values.items()}
            ).where(ServicePoint.id == point.id)
            details = {k: json.loads(v) if k == "hours" else v for k, v in values.items()}
            await audit.record(actor, "service_point_changed", code, now, details)
        point = await point_by_code(code)
    return _out(point, (await _stops([point.id]))[point.id])


async def _vehicle(code: str) -> PointRecord:
    point = await point_by_code(code)
    if point.type not in VEHICLE_TYPES:
        raise Invalid(
            FieldError("service_point", f"{code} is a {point.type.value}: only vehicles have stops")
        )
    return point


async def add_stop(
    actor: Actor,
    now: datetime,
    code: str,
    *,
    place: str,
    weekday: str,
    starts: str,
    ends: str,
    season_starts: date,
    season_ends: date | None = None,
    every_weeks: int = 1,
) -> StopOut:
    place = place.strip()
    day = WEEKDAYS.index(weekday)
    opens, closes = _clock(starts, "starts"), _clock(ends, "ends")
    check_stop(place, day, opens, closes, season_starts, season_ends, every_weeks)
    async with write_transaction():
        point = await _vehicle(code)
        row = (
            await ServiceStop.insert(
                ServiceStop(
                    service_point=point.id,
                    place=place,
                    weekday=day,
                    starts=opens.strftime("%H:%M"),
                    ends=closes.strftime("%H:%M"),
                    season_starts=season_starts,
                    season_ends=season_ends,
                    every_weeks=every_weeks,
                    created_at=now,
                )
            ).returning(ServiceStop.id)
        )[0]
        stop = await ServiceStop.select().where(ServiceStop.id == row["id"]).first()
        out = _stop_out(stop)
        await audit.record(
            actor,
            "stop_added",
            code,
            now,
            {
                "stop": out.id,
                "place": place,
                "weekday": weekday,
                "starts": out.starts,
                "ends": out.ends,
                "season_starts": season_starts.isoformat(),
                "season_ends": season_ends.isoformat() if season_ends else None,
                "every_weeks": every_weeks,
            },
        )
    return out


async def _stop_of(point: PointRecord, stop_id: int) -> dict[str, Any]:
    row = (
        await ServiceStop.select()
        .where((ServiceStop.id == stop_id) & (ServiceStop.service_point == point.id))
        .first()
    )
    if row is None:
        raise NotFound(f"{point.code} has no stop {stop_id}.", Code.STOP_NOT_FOUND)
    return row


async def remove_stop(actor: Actor, now: datetime, code: str, stop_id: int) -> StopOut:
    """The stop ends: it is deleted with its cancellations (loans keep their due dates)."""
    async with write_transaction():
        point = await point_by_code(code)
        row = await _stop_of(point, stop_id)
        await ServiceStop.delete().where(ServiceStop.id == stop_id)
        await audit.record(
            actor, "stop_removed", code, now, {"stop": stop_id, "place": row["place"]}
        )
    return _stop_out(row)


async def stop_patterns(point_id: int) -> list[StopPattern]:
    """The vehicle's stops, as the schedule rules take them."""
    return [_pattern(r) for r in (await _stops([point_id]))[point_id]]


async def cancelled_visits(stop_ids: list[int], start: date, end: date) -> set[tuple[int, date]]:
    """(stop id, day) of each cancelled visit from `start` to `end`."""
    if not stop_ids:
        return set()
    rows = await StopCancellation.select(StopCancellation.stop, StopCancellation.date).where(
        StopCancellation.stop.is_in(stop_ids)
        & (StopCancellation.date >= start)
        & (StopCancellation.date <= end)
    )
    return {(r["stop"], r["date"]) for r in rows}


async def schedule(code: str, start: date, end: date) -> ScheduleOut:
    """Every visit of the vehicle's stops from `start` to `end` (at most 400 days), cancelled
    visits included and marked. A fixed point has no visits."""
    if end < start:
        raise Invalid(FieldError("end", "must not be before start"))
    if (end - start).days >= MAX_SCHEDULE_DAYS:
        raise Invalid(FieldError("end", f"at most {MAX_SCHEDULE_DAYS} days after start"))
    point = await point_by_code(code)
    rows = (await _stops([point.id]))[point.id]
    patterns = [_pattern(r) for r in rows]
    cancelled = await cancelled_visits([p.id for p in patterns], start, end)
    return ScheduleOut(
        service_point=point.code,
        start=start,
        end=end,
        visits=[
            VisitOut(
                date=v.day,
                stop=v.stop_id,
                place=v.place,
                starts=v.starts.strftime("%H:%M"),
                ends=v.ends.strftime("%H:%M"),
                cancelled=v.cancelled,
            )
            for v in visits(patterns, cancelled, start, end)
        ],
    )


async def cancel_visit(
    actor: Actor, now: datetime, code: str, stop_id: int, *, day: date, reason: str
) -> StopCancellationOut:
    """One visit of the stop will not happen (weather, a breakdown, a holiday). Ready holds to
    be collected at it move to the parent branch, and their patrons are told."""
    async with write_transaction():
        point = await _vehicle(code)
        row = await _stop_of(point, stop_id)
        if not _pattern(row).occurs_on(day):
            raise Invalid(
                FieldError("date", f"stop {stop_id} does not visit {row['place']} that day")
            )
        refusal = Conflict(
            f"The visit of stop {stop_id} on {day.isoformat()} is already cancelled.",
            Code.STOP_ALREADY_CANCELLED,
        )
        if await StopCancellation.exists().where(
            (StopCancellation.stop == stop_id) & (StopCancellation.date == day)
        ):
            raise refusal
        with duplicate_is(refusal):
            await StopCancellation.insert(
                StopCancellation(stop=stop_id, date=day, reason=reason, cancelled_at=now)
            )
        await audit.record(
            actor,
            "stop_cancelled",
            code,
            now,
            {"stop": stop_id, "place": row["place"], "date": day.isoformat(), "reason": reason},
        )
        from ..circulation.holds import move_holds_off_visit

        moved = await move_holds_off_visit(actor, now, point, day)
    return StopCancellationOut(
        service_point=point.code,
        stop=stop_id,
        place=row["place"],
        date=day,
        reason=reason,
        holds_moved=moved,
    )
