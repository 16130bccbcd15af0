"""Training sessions of a program: sign-up, attendance by card scan, hours per patron. A
program's required hours (of its own sessions, attended) unlock its loans."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...circulation import Conflict, FieldError, Invalid, NotFound
from ...circulation.codes import Code
from ...database import is_postgres, write_transaction
from ...schemas.programs import AttendanceOut, SessionList, SessionOut
from ...tables import Attendance, Patron, TrainingSession
from .._common import audit
from .._common.render import local_time
from ..actors import Actor
from ..library.service_points import point_by_code
from .catalog import ProgramRecord, program_by_code
from .enrolments import training_hours
from .scope import require_point

__all__ = ["add_session", "list_sessions", "record_attendance", "sign_up"]


def _view(row: dict[str, Any], program: str, timezone: str) -> SessionOut:
    return SessionOut(
        id=row["id"],
        program=program,
        topic=row["topic"],
        starts_at=local_time(row["starts_at"], timezone),
        hours=float(row["hours"]),
        capacity=row["capacity"],
        service_point=row.get("point_code"),
        signed_up=row.get("signed_up", 0) or 0,
        attended=row.get("attended", 0) or 0,
    )


async def _sessions(record: ProgramRecord, session_id: int | None = None) -> list[dict[str, Any]]:
    sql = (
        "SELECT s.id, s.topic, s.starts_at, s.hours, s.capacity, p.code AS point_code, "
        "(SELECT count(*) FROM attendance a WHERE a.session = s.id) AS signed_up, "
        "(SELECT count(*) FROM attendance a WHERE a.session = s.id "
        "AND a.attended_at IS NOT NULL) AS attended "
        "FROM training_session s LEFT JOIN service_point p ON p.id = s.service_point "
        "WHERE s.program = {}"
    )
    args: list[Any] = [record.id]
    if session_id is not None:
        sql += " AND s.id = {}"
        args.append(session_id)
    rows = await TrainingSession.raw(sql + " ORDER BY s.starts_at, s.id", *args)
    for r in rows:
        if isinstance(r["starts_at"], str):  # SQLite through raw()
            r["starts_at"] = datetime.fromisoformat(r["starts_at"])
    return rows


async def list_sessions(actor: Actor, code: str, timezone: str) -> SessionList:
    record = await program_by_code(code, actor)
    rows = await _sessions(record)
    return SessionList(items=[_view(r, code, timezone) for r in rows], total=len(rows))


async def add_session(
    actor: Actor,
    now: datetime,
    code: str,
    timezone: str,
    *,
    topic: str,
    starts_at: datetime,
    hours: float,
    capacity: int,
    service_point: str | None = None,
) -> SessionOut:
    if starts_at.tzinfo is None:
        raise Invalid(FieldError("starts_at", "give the time with its offset (or Z)"))
    async with write_transaction():
        record = await program_by_code(code, actor)
        point_id = None
        if service_point is not None:
            point = await point_by_code(service_point, field="service_point")
            await require_point(actor, point.id, "hold training")
            point_id = point.id
        inserted = await TrainingSession.insert(
            TrainingSession(
                program=record.id,
                topic=topic,
                starts_at=starts_at,
                hours=hours,
                capacity=capacity,
                service_point=point_id,
                created_at=now,
            )
        ).returning(TrainingSession.id)
        session_id = inserted[0]["id"]
        await audit.record(
            actor,
            "training_session_added",
            f"session:{session_id}",
            now,
            {"program": code, "topic": topic, "hours": hours, "capacity": capacity},
        )
        return _view((await _sessions(record, session_id))[0], code, timezone)


async def _session(record: ProgramRecord, session_id: int) -> dict[str, Any]:
    query = TrainingSession.select(TrainingSession.id, TrainingSession.capacity).where(
        (TrainingSession.id == session_id) & (TrainingSession.program == record.id)
    )
    row = await (query.lock_rows() if is_postgres() else query).first()
    if row is None:
        raise NotFound(
            f"Program {record.code} has no training session {session_id}.",
            Code.SESSION_NOT_FOUND,
        )
    return row


async def _patron_id(card: str) -> int:
    row = await Patron.select(Patron.id).where(Patron.card_number == card).first()
    if row is None:
        raise NotFound(f"No patron with card number {card!r}.", Code.PATRON_NOT_FOUND)
    return row["id"]


async def _reply(record, session_id: int, patron_id: int, card: str, timezone: str):
    row = (
        await Attendance.select()
        .where((Attendance.session == session_id) & (Attendance.patron == patron_id))
        .first()
    )
    hours = await training_hours(record.id, [patron_id])
    return AttendanceOut(
        session=session_id,
        patron=card,
        signed_up_at=local_time(row["signed_up_at"], timezone),
        attended_at=local_time(row["attended_at"], timezone),
        training_hours=hours.get(patron_id, 0.0),
    )


async def _signed_up(record, session: dict[str, Any], patron_id: int, now: datetime) -> bool:
    """Sign the patron up unless they are (the session locked: capacity holds); True if new."""
    if await Attendance.exists().where(
        (Attendance.session == session["id"]) & (Attendance.patron == patron_id)
    ):
        return False
    taken = await Attendance.count().where(Attendance.session == session["id"])
    if taken >= session["capacity"]:
        raise Conflict(
            f"Session {session['id']} is full ({session['capacity']} places).",
            Code.SESSION_FULL,
            facts={"capacity": session["capacity"]},
        )
    await Attendance.insert(
        Attendance(session=session["id"], patron=patron_id, signed_up_at=now, attended_at=None)
    )
    return True


async def sign_up(
    actor: Actor, now: datetime, code: str, session_id: int, card: str, timezone: str
) -> AttendanceOut:
    async with write_transaction():
        record = await program_by_code(code, actor)
        session = await _session(record, session_id)
        patron_id = await _patron_id(card)
        if await _signed_up(record, session, patron_id, now):
            await audit.record(
                actor,
                "training_signed_up",
                card,
                now,
                {"program": code, "session": session_id},
                patron_card=card,
            )
        return await _reply(record, session_id, patron_id, card, timezone)


async def record_attendance(
    actor: Actor, now: datetime, code: str, session_id: int, card: str, timezone: str
) -> AttendanceOut:
    """The patron's card scanned at the session: they attended (signed up first if they had
    not, while places remain). Scanning twice changes nothing."""
    async with write_transaction():
        record = await program_by_code(code, actor)
        session = await _session(record, session_id)
        patron_id = await _patron_id(card)
        await _signed_up(record, session, patron_id, now)
        await Attendance.update({Attendance.attended_at: now}).where(
            (Attendance.session == session_id)
            & (Attendance.patron == patron_id)
            & Attendance.attended_at.is_null()
        )
        await audit.record(
            actor,
            "training_attended",
            card,
            now,
            {"program": code, "session": session_id},
            patron_card=card,
        )
        return await _reply(record, session_id, patron_id, card, timezone)
