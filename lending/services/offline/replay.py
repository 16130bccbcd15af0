"""Replay a desk's offline session: every queued checkout, checkin and renewal, in the order
it happened (the desk's clock), as of its own time, through the same circulation services as
the desk online. Each ends `applied` or on the exceptions list with the refusal's code, never
dropped. A session is replayed once: uploading it again (or any transaction id already seen)
changes nothing and returns what the first replay did.

Checked before anything is applied (a 422 and nothing written): duplicate transaction ids,
times in the future (beyond a few minutes of clock drift) or older than the replay window,
unknown or inactive clerks, and clerks other than the uploader (a clerk's queue is theirs;
an admin, or the command line, may upload anyone's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from piccolo.query.methods.select import Count

from ...circulation import Conflict, FieldError, Invalid, NotFound
from ...circulation.codes import Code
from ...circulation.permissions import SYSTEM_ROLE, Role
from ...database import write_transaction
from ...schemas.base import code as scanned
from ...schemas.offline import (
    OfflineResultOut,
    OfflineSessionIn,
    OfflineSessionOut,
    OfflineTransactionIn,
)
from ...tables import Loan, OfflineSession, OfflineTransaction, StaffUser
from .._common import audit
from .._common.guards import unique_violation
from .._common.render import local_time
from ..actors import Actor
from ..circulation import transactions
from ..library.service_points import PointRecord, point_by_code

__all__ = [
    "CLOCK_DRIFT",
    "REPLAY_WINDOW",
    "replay_session",
    "result_view",
    "run_one",
    "session_view",
    "stored_session",
]

CLOCK_DRIFT = timedelta(minutes=5)  # a desk's clock may run this far ahead
REPLAY_WINDOW = timedelta(days=60)  # older work is refused: too late to lend or return as of then
# Queued transactions per database transaction (each in its own savepoint): fewer commits,
# and locks held for a fraction of a second at most.
BATCH = 50


@dataclass(frozen=True, slots=True)
class Queued:
    seq: int
    item: OfflineTransactionIn
    device: str
    patron: str | None


def result_view(row: dict[str, Any], timezone: str) -> OfflineResultOut:
    provisional, due = row["provisional_due_at"], row["due_at"]

    def local(value: datetime | None) -> datetime | None:
        return local_time(value, timezone)

    return OfflineResultOut(
        id=row["uid"].partition("@")[0],
        entry=row["id"],
        type=row["action"],
        device=row["device"],
        patron=row["patron"],
        at=local(row["at"]),
        clerk=row["clerk"],
        status=row["status"],
        code=row["code"],
        detail=row["detail"],
        loan=row["loan"],
        due_at=local(due),
        provisional_due_at=local(provisional),
        due_changed=provisional is not None and due is not None and provisional != due,
        resolved_by=row["resolved_by"],
        resolved_at=local(row["resolved_at"]),
        reason=row["reason"],
    )


def _checked(actor: Actor, now: datetime, data: OfflineSessionIn) -> list[Queued]:
    errors: list[FieldError] = []
    seen: set[str] = set()
    queued = []
    for i, item in enumerate(data.transactions):
        where = f"transactions[{i}]"
        if item.id in seen:
            errors.append(FieldError(f"{where}.id", f"{item.id!r} appears twice in the session"))
        seen.add(item.id)
        if item.at > now + CLOCK_DRIFT:
            errors.append(FieldError(f"{where}.at", "is in the future"))
        elif item.at < now - REPLAY_WINDOW:
            errors.append(FieldError(f"{where}.at", f"older than {REPLAY_WINDOW.days} days"))
        if item.type == "checkout" and item.patron is None:
            errors.append(FieldError(f"{where}.patron", "a checkout names the patron"))
        if item.type != "checkout" and item.patron is not None:
            errors.append(FieldError(f"{where}.patron", "only a checkout names a patron"))
        try:
            device = scanned(item.device, f"{where}.device")
            patron = None if item.patron is None else scanned(item.patron, f"{where}.patron")
        except Invalid as bad:
            errors.extend(bad.errors)
            continue
        queued.append(Queued(i, item, device, patron))
    if errors:
        raise Invalid(errors[:20], "The offline session has errors; nothing was replayed.")
    # In the order it happened; the desk's queue order breaks ties.
    return sorted(queued, key=lambda q: (q.item.at, q.seq))


async def _clerks(actor: Actor, data: OfflineSessionIn) -> dict[str, Actor]:
    names = sorted({t.clerk for t in data.transactions})
    rows = await StaffUser.select(
        StaffUser.id, StaffUser.username, StaffUser.role, StaffUser.active, StaffUser.partner
    ).where(StaffUser.username.is_in(names))
    found = {r["username"]: r for r in rows}
    errors = []
    for i, item in enumerate(data.transactions):
        row = found.get(item.clerk)
        if row is None or not row["active"]:
            errors.append(
                FieldError(f"transactions[{i}].clerk", f"no active staff account {item.clerk!r}")
            )
        elif actor.role not in (Role.ADMIN, SYSTEM_ROLE) and item.clerk != actor.name:
            errors.append(
                FieldError(
                    f"transactions[{i}].clerk", f"{item.clerk!r} is not the uploader's own work"
                )
            )
    if errors:
        raise Invalid(errors[:20], "The offline session has errors; nothing was replayed.")
    return {
        name: Actor(name, row["role"], staff_id=row["id"], partner_id=row["partner"])
        for name, row in found.items()
    }


async def stored_session(uid: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    session = (
        await OfflineSession.select(
            OfflineSession.all_columns(), OfflineSession.service_point.code.as_alias("point")
        )
        .where(OfflineSession.uid == uid)
        .first()
    )
    if session is None:
        return None
    rows = (
        await OfflineTransaction.select()
        .where(OfflineTransaction.session == session["id"])
        .order_by(OfflineTransaction.seq)
    )
    return session, rows


def session_view(
    session: dict[str, Any], rows: list[dict[str, Any]], repeat: bool, timezone: str
) -> OfflineSessionOut:
    return OfflineSessionOut(
        id=session["uid"],
        service_point=session["point"],
        source=session["source"],
        uploaded_by=session["uploaded_by"],
        uploaded_at=local_time(session["uploaded_at"], timezone),
        already_uploaded=repeat,
        transactions=session["transactions"],
        applied=session["applied"],
        exceptions=session["exceptions"],
        results=[result_view(r, timezone) for r in rows],
    )


async def last_change(devices: list[str]) -> dict[str, datetime]:
    """When each device's record last changed: its latest loan's return, or its checkout
    when it is still out."""
    rows = (
        await Loan.select(
            Loan.device.barcode.as_alias("barcode"), Loan.checked_out_at, Loan.returned_at
        )
        .where(Loan.device.barcode.is_in(devices))
        .order_by(Loan.checked_out_at)
    )
    return {r["barcode"]: r["returned_at"] or r["checked_out_at"] for r in rows}


def _out_of_order(after: datetime | None, at: datetime) -> Conflict | None:
    """The device's record already has something after `at`: lent later (its open loan began
    after it) or returned later (its last loan came back after it)."""
    if after is not None and after > at:
        return Conflict(
            f"The device's record shows it lent or returned at {after.isoformat()}, after this "
            "offline transaction.",
            Code.OFFLINE_OUT_OF_ORDER,
            facts={"after": after.isoformat()},
        )
    return None


async def run_one(
    actor: Actor,
    now: datetime,
    action: str,
    device: str,
    patron: str | None,
    point: PointRecord | None,
    changed: dict[str, datetime] | None = None,
) -> tuple[int, datetime]:
    """Apply one transaction as of `now` through the circulation services, inside the
    caller's transaction. Returns (loan id, due date or return time)."""
    if changed is None:
        changed = await last_change([device])
    refusal = _out_of_order(changed.get(device), now)
    if refusal is not None:
        raise refusal
    if action == "checkout":
        assert patron is not None
        reply = await transactions.check_out(
            actor, now, card_number=patron, barcode=device, service_point=point
        )
        return reply.loan.id, reply.loan.due_at
    if action == "checkin":
        back = await transactions.check_in(actor, now, barcode=device)
        return back.loan.id, back.loan.returned_at or now
    loan = (
        await Loan.select(Loan.id)
        .where((Loan.device.barcode == device) & Loan.returned_at.is_null())
        .first()
    )
    if loan is None:
        raise Conflict("The device is not on loan: nothing to renew.", Code.NOT_ON_LOAN)
    renewed = await transactions.renew(actor, now, loan["id"])
    return renewed.loan.id, renewed.loan.due_at


def _row(session_id: int, q: Queued, **result: Any) -> OfflineTransaction:
    return OfflineTransaction(
        session=session_id,
        uid=result.pop("uid", q.item.id),
        seq=q.seq,
        action=q.item.type,
        device=q.device,
        patron=q.patron,
        at=q.item.at,
        clerk=q.item.clerk,
        provisional_due_at=q.item.due_at,
        **result,
    )


async def _session_id(
    actor: Actor,
    now: datetime,
    data: OfflineSessionIn,
    source: str,
    count: int,
    point: PointRecord | None,
) -> tuple[int | None, bool]:
    """The session's row: (id, False) for a new one; (id, True) for one whose replay stopped
    part way (a server fault, a lost connection), to go on with; (None, True) when it was
    replayed in full (or is being replayed from elsewhere right now)."""
    stored = await stored_session(data.id)
    if stored is not None:
        session, rows = stored
        return (session["id"], True) if len(rows) < session["transactions"] else (None, True)
    try:
        async with write_transaction():
            [session] = await OfflineSession.insert(
                OfflineSession(
                    uid=data.id,
                    service_point=point.id if point else None,
                    source=source,
                    uploaded_by=actor.name,
                    uploaded_at=now,
                    transactions=count,
                )
            ).returning(OfflineSession.id)
    except Exception as exc:
        if not unique_violation(exc):
            raise
        return None, True  # the same session, uploaded at the same moment from elsewhere
    return session["id"], False


async def _replay_batch(
    tx: Any, session_id: int, batch: list[Queued], point: PointRecord | None, clerks, seen
) -> None:
    """One database transaction for a batch of the queue; each queued transaction inside
    its own savepoint, so a refusal undoes only its own work. Their outcomes are written
    together at the end of the batch."""
    rows: list[OfflineTransaction] = []
    changed = await last_change(sorted({q.device for q in batch}))
    for q in batch:
        if q.item.id in seen.get(session_id, set()):
            continue  # recorded by the part of this replay that got through before
        if any(q.item.id in uids for sid, uids in seen.items() if sid != session_id):
            rows.append(
                _row(session_id, q, uid=f"{q.item.id}@{session_id}", status="duplicate",
                     detail="Already replayed in an earlier session.")
            )  # fmt: skip
            continue
        savepoint = await tx.savepoint()
        try:
            loan, due = await run_one(
                clerks[q.item.clerk], q.item.at, q.item.type, q.device, q.patron, point, changed
            )
            if q.item.type != "renew":
                changed[q.device] = q.item.at
            rows.append(
                _row(session_id, q, status="applied", loan=loan,
                     due_at=due if q.item.type != "checkin" else None)
            )  # fmt: skip
        except (Conflict, NotFound, Invalid) as refused:
            await savepoint.rollback_to()
            rows.append(
                _row(session_id, q, status="exception", code=refused.code.value,
                     detail=refused.detail)
            )  # fmt: skip
    if rows:
        await OfflineTransaction.insert(*rows)


async def replay_session(
    actor: Actor, now: datetime, data: OfflineSessionIn, timezone: str, *, source: str = "desk"
) -> OfflineSessionOut:
    """Replay the session (once). `actor` uploads it; each transaction runs as its clerk.
    Work is committed in batches of BATCH; a replay cut short by a fault goes on from where
    it stopped when the session is uploaded again."""
    stored = await stored_session(data.id)
    if stored is not None and len(stored[1]) >= stored[0]["transactions"]:
        return session_view(*stored, repeat=True, timezone=timezone)  # replayed in full before
    queued = _checked(actor, now, data)
    clerks = await _clerks(actor, data)
    point = None
    if data.service_point is not None:
        point = await point_by_code(data.service_point, field="service_point")
    session_id, repeat = await _session_id(actor, now, data, source, len(queued), point)
    if session_id is None:
        stored = await stored_session(data.id)
        assert stored is not None
        return session_view(*stored, repeat=True, timezone=timezone)
    seen: dict[int, set[str]] = {}
    for r in await OfflineTransaction.select(
        OfflineTransaction.session, OfflineTransaction.uid
    ).where(OfflineTransaction.uid.is_in([q.item.id for q in queued])):
        seen.setdefault(r["session"], set()).add(r["uid"])
    for start in range(0, len(queued), BATCH):
        async with write_transaction() as tx:
            await _replay_batch(tx, session_id, queued[start : start + BATCH], point, clerks, seen)
    counts = {
        r["status"]: r["n"]
        for r in await OfflineTransaction.select(
            OfflineTransaction.status, Count(OfflineTransaction.id, alias="n")
        )
        .where(OfflineTransaction.session == session_id)
        .group_by(OfflineTransaction.status)
    }
    applied, exceptions = counts.get("applied", 0), counts.get("exception", 0)
    async with write_transaction():
        await OfflineSession.update(
            {OfflineSession.applied: applied, OfflineSession.exceptions: exceptions}
        ).where(OfflineSession.id == session_id)
        await audit.record(
            actor,
            "offline_replayed",
            data.id,
            now,
            {"source": source, "transactions": len(queued), "applied": applied,
             "exceptions": exceptions, "service_point": data.service_point,
             "resumed": repeat},
        )  # fmt: skip
    stored = await stored_session(data.id)
    assert stored is not None
    return session_view(*stored, repeat=False, timezone=timezone)
