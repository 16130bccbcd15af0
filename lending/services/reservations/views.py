"""Reading reservations and shaping them: times in the service point's zone, each unit with the
device's status and shelf (what the pull list needs)."""

from __future__ import annotations

from typing import Any

from ...circulation import NotFound
from ...circulation.codes import Code
from ...circulation.reservations import UnitStatus
from ...schemas.reservations import ReservationOut, UnitOut
from ...tables import Reservation, ReservationUnit
from .._common.render import local_time
from .._common.rows import Row
from ..actors import Actor

__all__ = ["COLUMNS", "reservation_rows", "reservation_view", "reservation_views", "visible_to"]

COLUMNS = (
    Reservation.all_columns(),
    Reservation.service_point.code.as_alias("point_code"),
    Reservation.service_point.timezone.as_alias("point_timezone"),
    Reservation.branch.code.as_alias("branch_code"),
    Reservation.branch.timezone.as_alias("branch_timezone"),
    Reservation.patron.card_number.as_alias("patron_card"),
    Reservation.partner.code.as_alias("partner_code"),
)


def visible_to(actor: Actor) -> Any:
    """Partner staff see their partner's reservations only."""
    if actor.partner_id is None:
        return None
    return Reservation.partner == actor.partner_id


async def reservation_rows(where: Any, *, limit: int | None = None, offset: int = 0) -> list[Row]:
    query = Reservation.select(*COLUMNS).order_by(Reservation.starts_at).order_by(Reservation.id)
    if where is not None:
        query = query.where(where)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return await query


async def _units(ids: list[int]) -> dict[int, list[Row]]:
    if not ids:
        return {}
    rows = (
        await ReservationUnit.select(
            ReservationUnit.all_columns(),
            ReservationUnit.device.barcode.as_alias("barcode"),
            ReservationUnit.device.status.as_alias("device_status"),
            ReservationUnit.device.location.as_alias("location"),
        )
        .where(ReservationUnit.reservation.is_in(ids))
        .order_by(ReservationUnit.id)
    )
    out: dict[int, list[Row]] = {i: [] for i in ids}
    for row in rows:
        out[row["reservation"]].append(row)
    return out


def _view(row: Row, units: list[Row]) -> ReservationOut:
    tz = row["point_timezone"] or row["branch_timezone"]
    counts = {status: 0 for status in UnitStatus}
    for unit in units:
        counts[UnitStatus(unit["status"])] += 1
    return ReservationOut(
        id=row["id"],
        service_point=row["point_code"],
        branch=row["branch_code"],
        kind=row["kind"],
        quantity=row["quantity"],
        starts_at=local_time(row["starts_at"], tz),
        ends_at=local_time(row["ends_at"], tz),
        free_at=local_time(row["free_at"], tz),
        set_aside_at=local_time(row["set_aside_at"], tz),
        no_show_at=local_time(row["no_show_at"], tz),
        event=row["event"],
        responsible=row["responsible"],
        patron=row["patron_card"],
        partner=row["partner_code"],
        status=row["status"],
        made_by=row["made_by"],
        notes=row["notes"],
        short=row["short"],
        set_aside=counts[UnitStatus.SET_ASIDE],
        out=counts[UnitStatus.OUT],
        returned=counts[UnitStatus.RETURNED],
        created_at=local_time(row["created_at"], tz),
        closed_at=local_time(row["closed_at"], tz),
        close_reason=row["close_reason"],
        units=[
            UnitOut(
                id=u["id"],
                device=u["barcode"],
                named=u["named"],
                status=u["status"],
                device_status=u["device_status"],
                location=u["location"],
                loan=u["loan"],
                note=u["note"],
            )
            for u in units
        ],
    )


async def reservation_views(rows: list[Row]) -> list[ReservationOut]:
    units = await _units([r["id"] for r in rows])
    return [_view(row, units[row["id"]]) for row in rows]


async def reservation_view(reservation_id: int, actor: Actor | None = None) -> ReservationOut:
    where = Reservation.id == reservation_id
    scope = visible_to(actor) if actor is not None else None
    if scope is not None:
        where = where & scope
    rows = await reservation_rows(where)
    if not rows:
        raise NotFound(f"No reservation with id {reservation_id}.", Code.RESERVATION_NOT_FOUND)
    return (await reservation_views(rows))[0]
