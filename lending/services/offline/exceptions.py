"""The offline exceptions list: what a replay could not apply, for staff to resolve: apply
it now under their own name (after fixing what stood in the way: checking the other loan in,
lifting a block), or discard it with a reason. Both are in the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...circulation import Conflict, NotFound
from ...circulation.codes import Code
from ...database import write_transaction
from ...schemas.offline import (
    OfflineExceptionList,
    OfflineResultOut,
    OfflineSessionList,
    OfflineSessionOut,
    OfflineSessionSummary,
)
from ...tables import OfflineSession, OfflineTransaction
from .._common import audit
from .._common.render import local_time
from ..actors import Actor
from ..library.service_points import point_by_code
from .replay import result_view, run_one, session_view, stored_session

__all__ = [
    "apply_exception",
    "discard_exception",
    "get_session",
    "list_exceptions",
    "list_sessions",
]


async def list_exceptions(
    timezone: str, *, status: str = "exception", limit: int = 50, offset: int = 0
) -> OfflineExceptionList:
    where = OfflineTransaction.status == status
    total = await OfflineTransaction.count().where(where)
    rows = (
        await OfflineTransaction.select()
        .where(where)
        .order_by(OfflineTransaction.at)
        .limit(limit)
        .offset(offset)
    )
    return OfflineExceptionList(items=[result_view(r, timezone) for r in rows], total=total)


async def list_sessions(timezone: str, *, limit: int = 50, offset: int = 0) -> OfflineSessionList:
    total = await OfflineSession.count()
    rows = (
        await OfflineSession.select(
            OfflineSession.all_columns(), OfflineSession.service_point.code.as_alias("point")
        )
        .order_by(OfflineSession.uploaded_at, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    open_counts: dict[int, int] = {}
    if rows:
        for r in await OfflineTransaction.select(OfflineTransaction.session).where(
            OfflineTransaction.session.is_in([r["id"] for r in rows])
            & (OfflineTransaction.status == "exception")
        ):
            open_counts[r["session"]] = open_counts.get(r["session"], 0) + 1
    items = [
        OfflineSessionSummary(
            id=r["uid"],
            service_point=r["point"],
            source=r["source"],
            uploaded_by=r["uploaded_by"],
            uploaded_at=local_time(r["uploaded_at"], timezone),
            transactions=r["transactions"],
            applied=r["applied"],
            exceptions=r["exceptions"],
            open_exceptions=open_counts.get(r["id"], 0),
        )
        for r in rows
    ]
    return OfflineSessionList(items=items, total=total)


async def get_session(uid: str, timezone: str) -> OfflineSessionOut:
    stored = await stored_session(uid)
    if stored is None:
        raise NotFound(f"No offline session {uid[:64]!r}.", Code.OFFLINE_SESSION_NOT_FOUND)
    return session_view(*stored, repeat=False, timezone=timezone)


async def _open(exception_id: int) -> dict[str, Any]:
    row = (
        await OfflineTransaction.select(
            OfflineTransaction.all_columns(),
            OfflineTransaction.session.service_point.code.as_alias("point"),
        )
        .where(OfflineTransaction.id == exception_id)
        .first()
    )
    if row is None or row["status"] in ("applied", "duplicate"):
        raise NotFound(f"No offline exception {exception_id}.", Code.OFFLINE_EXCEPTION_NOT_FOUND)
    if row["status"] != "exception":
        raise Conflict(
            f"Offline exception {exception_id} was already {row['status']} by "
            f"{row['resolved_by']}.",
            Code.OFFLINE_EXCEPTION_RESOLVED,
            facts={"status": row["status"], "resolved_by": row["resolved_by"]},
        )
    return row


async def _close(exception_id: int, **changes: Any) -> dict[str, Any]:
    done = (
        await OfflineTransaction.update(
            {getattr(OfflineTransaction, k): v for k, v in changes.items()}
        )
        .where((OfflineTransaction.id == exception_id) & (OfflineTransaction.status == "exception"))
        .returning(OfflineTransaction.id)
    )
    if not done:  # resolved by someone else a moment ago
        raise Conflict(
            f"Offline exception {exception_id} was already resolved.",
            Code.OFFLINE_EXCEPTION_RESOLVED,
        )
    return await OfflineTransaction.select().where(OfflineTransaction.id == exception_id).first()


async def apply_exception(
    actor: Actor, now: datetime, exception_id: int, timezone: str
) -> OfflineResultOut:
    """Apply the queued transaction now, as `actor` (their name on the loan and the trail).
    Refused again (the device is still out to someone else, the card still blocked): the
    refusal, and the exception stays on the list."""
    async with write_transaction():
        row = await _open(exception_id)
        point = await point_by_code(row["point"]) if row["point"] else None
        loan, due = await run_one(actor, now, row["action"], row["device"], row["patron"], point)
        closed = await _close(
            exception_id,
            status="resolved",
            loan=loan,
            due_at=due if row["action"] != "checkin" else None,
            resolved_by=actor.name,
            resolved_at=now,
        )
        await audit.record(
            actor,
            "offline_exception_applied",
            row["device"],
            now,
            {"transaction": row["uid"], "action": row["action"], "code": row["code"],
             "offline_at": row["at"].isoformat(), "loan": loan},
            patron_card=row["patron"],
        )  # fmt: skip
    return result_view(closed, timezone)


async def discard_exception(
    actor: Actor, now: datetime, exception_id: int, reason: str, timezone: str
) -> OfflineResultOut:
    async with write_transaction():
        row = await _open(exception_id)
        closed = await _close(
            exception_id,
            status="discarded",
            reason=reason.strip(),
            resolved_by=actor.name,
            resolved_at=now,
        )
        await audit.record(
            actor,
            "offline_exception_discarded",
            row["device"],
            now,
            {"transaction": row["uid"], "action": row["action"], "code": row["code"],
             "reason": reason.strip()},
            patron_card=row["patron"],
        )  # fmt: skip
    return result_view(closed, timezone)
