"""The reservations job: set devices aside when a reservation's set-aside time comes (replacing
one that is overdue or damaged), cancel no-shows, and let go of what an event did not take."""

from __future__ import annotations

from datetime import datetime

import msgspec

from ...circulation.reservations import ReservationStatus, UnitStatus
from ...database import retry_on_conflict, write_transaction
from ...tables import Reservation, ReservationUnit
from ..actors import Actor
from .booking import _locked_reservation, close
from .shelf import fill_units, release_units

__all__ = ["ReservationRun", "keep_reservations"]

ACTOR = Actor("job:reservations", "system")
_PREPARING = [ReservationStatus.CONFIRMED.value, ReservationStatus.READY.value]


class ReservationRun(msgspec.Struct, kw_only=True):
    checked: int = 0  # reservations in their set-aside time looked at
    ready: int = 0  # of them, with every device set aside
    short: int = 0  # of them, with units no device could be set aside for
    no_shows: int = 0
    not_confirmed: int = 0  # requests never confirmed, cancelled at their no-show time
    released: int = 0  # devices let go (no-shows, cancelled requests, not taken by the end)
    returned: int = 0  # events whose every device is back


@retry_on_conflict
async def _fill(now: datetime, reservation_id: int) -> dict:
    async with write_transaction():
        return await fill_units(ACTOR, now, reservation_id)


@retry_on_conflict
async def _close(now: datetime, reservation_id: int, status: ReservationStatus, why: str) -> int:
    async with write_transaction():
        row = await _locked_reservation(ACTOR, reservation_id)
        if row["status"] not in (*_PREPARING, ReservationStatus.REQUESTED):
            return 0
        return await close(ACTOR, now, row, status, why)


@retry_on_conflict
async def _end(now: datetime, reservation_id: int) -> tuple[int, bool]:
    async with write_transaction():
        released = await release_units(ACTOR, now, reservation_id, "window ended")
        out = await ReservationUnit.exists().where(
            (ReservationUnit.reservation == reservation_id)
            & (ReservationUnit.status == UnitStatus.OUT)
        )
        done = False
        if not out:
            done = bool(
                await Reservation.update(
                    {Reservation.status: ReservationStatus.RETURNED, Reservation.closed_at: now}
                )
                .where(
                    (Reservation.id == reservation_id)
                    & (Reservation.status == ReservationStatus.PICKED_UP)
                )
                .returning(Reservation.id)
            )
        return released, done


async def keep_reservations(now: datetime) -> ReservationRun:
    """One pass, each reservation in its own transaction (a failure leaves the others done)."""
    run = ReservationRun()
    no_shows = await Reservation.select(Reservation.id, Reservation.status).where(
        Reservation.status.is_in([*_PREPARING, ReservationStatus.REQUESTED.value])
        & (Reservation.no_show_at <= now)
    )
    for row in no_shows:
        if row["status"] == ReservationStatus.REQUESTED:
            run.released += await _close(
                now, row["id"], ReservationStatus.CANCELLED, "not confirmed before it started"
            )
            run.not_confirmed += 1
        else:
            run.released += await _close(
                now, row["id"], ReservationStatus.NO_SHOW, "nothing picked up in time"
            )
            run.no_shows += 1
    due = (
        await Reservation.select(Reservation.id)
        .where(
            Reservation.status.is_in(_PREPARING)
            & (Reservation.set_aside_at <= now)
            & (Reservation.no_show_at > now)
        )
        .order_by(Reservation.starts_at)
    )
    for row in due:
        filled = await _fill(now, row["id"])
        run.checked += 1
        run.ready += filled["status"] == ReservationStatus.READY
        run.short += filled["short"] > 0
    ended = await Reservation.select(Reservation.id).where(
        (Reservation.status == ReservationStatus.PICKED_UP) & (Reservation.ends_at <= now)
    )
    for row in ended:
        released, done = await _end(now, row["id"])
        run.released += released
        run.returned += done
    return run
