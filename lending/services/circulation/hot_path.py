"""The hot path on PostgreSQL: checkout, checkin and renew in four round trips each (BEGIN, one
query that takes the locks and reads every fact, one statement that writes the loan, the device
and the audit event, COMMIT), the token check folded into the facts query.

Raw SQL (services/circulation/hot_sql.py) on the transaction's asyncpg connection: Piccolo builds these
tables and migrations, but building its queries costs several times the statement itself here.
Each function runs inside the caller's `write_transaction()` and returns `(actor, reply)`;
`reply` is None when the case is one of the rarer ones (kit parts, holds to fulfil or fill, a
service line, return to service, a partner program, a refusal to explain, facts changed while
waiting for a lock):
nothing has been written then and the caller goes on with the general path
(services/circulation/transactions.py) in the same transaction, which holds the same locks.

Why the write statement checks its facts again: the facts query takes the locks and reads in one
statement, so it reads from the snapshot taken when it began. A transaction that held a lock we
then waited for (another checkout for the same patron or household, say) may have committed rows
that snapshot does not show. The write runs after every lock is ours, with a fresh snapshot: it
writes only when the facts the decision used (loan counts, holds) are still what they were.
The locked rows themselves (patron, device, loan) are read at their newest version anyway.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from ...circulation import (
    BranchCalendar,
    Conflict,
    DeviceFacts,
    DeviceStatus,
    LoanFacts,
    LoanStatus,
    NotFound,
    OverdueLoan,
    PatronFacts,
    PlaceFacts,
    can_check_out,
    can_renew,
    checkout_due_at,
    next_place,
    renewed_due_at,
)
from ...circulation.codes import Code
from ...circulation.permissions import Action
from ...database import current_engine
from ...schemas.base import CheckinReply, LoanReply
from .._common.guards import unique_violation
from .._common.render import zone
from .._common.request_context import current_request_id
from ..access.tokens import checked_again
from ..actors import Actor
from ..inventory.devices import device_view
from ..library.policies import policy_of
from ..library.service_points import PointRecord
from .hot_sql import (
    CHECKIN_FACTS,
    CHECKIN_WRITE,
    CHECKOUT_FACTS,
    CHECKOUT_WRITE,
    RENEW_FACTS,
    RENEW_WRITE,
)
from .loans import loan_view

__all__ = ["check_in", "check_out", "renew"]


def _connection() -> Any:
    """The asyncpg connection of the current `write_transaction()`."""
    return current_engine().current_transaction.get().connection


def _since(now: datetime):
    """Closed dates from then on are enough for any due date (as `calendar_for` reads them)."""
    return (now - timedelta(days=2)).date()


def _policy(kind: str, row: Any):
    return policy_of(kind, json.loads(row) if row is not None else None)


def _calendar(timezone: str, closed: Any) -> BranchCalendar:
    return BranchCalendar.of(timezone, closed or ())


async def check_out(
    actor: Actor, now: datetime, card_number: str, barcode: str, point: PointRecord | None = None
) -> tuple[Actor, LoanReply | None]:
    """A plain checkout, at no service point or at one that is not a vehicle (the loan
    records it; the due date is the device's branch's, as on the general path)."""
    conn = _connection()
    f = await conn.fetchrow(
        CHECKOUT_FACTS, card_number, barcode, _since(now), actor.token_digest, now
    )
    actor = checked_again(actor, f["token"], now, Action.CHECKOUT)
    if f["device_id"] is None:
        raise NotFound(f"No device with barcode {barcode!r}.", Code.DEVICE_NOT_FOUND)
    if f["patron_id"] is None:
        raise NotFound(f"No patron with card number {card_number!r}.", Code.PATRON_NOT_FOUND)
    rare = f["own_holds"] or f["parts"] or f["device_program"] or f["enrolled"]
    if rare or f["reserved"] or f["line_suspended"]:
        # A hold to fulfil, a kit to send out, a program's device or patron, reservations of
        # the kind (the due date may be shortened), a suspended line to restore: the general
        # path.
        return actor, None
    kind, household = f["kind"], f["household"]
    policy = _policy(kind, f["policy"])
    scope = policy.overdue_blocks_checkout
    overdue = ()
    if scope != "off":
        overdue = tuple(
            OverdueLoan(device, k, due_at, own=own)
            for device, k, due_at, own in f["overdue"] or ()
            if own or scope == "household"
        )
    facts = PatronFacts(
        id=f["patron_id"],
        blocked=f["blocked"],
        block_reason=f["block_reason"],
        expires_on=f["expires_on"],
        active_loans_of_kind=f["own_loans"],
        household_active_loans_of_kind=f["household_loans"] if household else None,
        overdue_loans=overdue,
    )
    held_for = f["held_for"] if f["status"] == DeviceStatus.ON_HOLD_SHELF else None
    today = now.astimezone(zone(f["timezone"])).date()
    device = DeviceFacts(barcode, f["status"], held_for)
    if can_check_out(device, facts, policy, today, now=now):
        return actor, None  # the general path reads again and explains the refusal
    due_at = checkout_due_at(policy, _calendar(f["timezone"], f["closed"]), now)
    try:
        loan_id = await conn.fetchval(
            CHECKOUT_WRITE,
            f["device_id"],
            f["patron_id"],
            f["branch_id"],
            kind,
            household,
            now,
            due_at,
            actor.name,
            barcode,
            due_at.isoformat(),
            card_number,
            f["own_loans"],
            f["household_loans"] if household else None,
            f["held_for"],
            point.id if point else None,
            point.code if point else None,
            current_request_id(),
        )
    except Exception as exc:
        if unique_violation(exc):
            raise Conflict(
                f"Device {barcode} is already on loan.", Code.DEVICE_UNAVAILABLE
            ) from None
        raise
    if loan_id is None:
        return actor, None  # the facts changed while we waited for a lock
    loan_row = {
        "id": loan_id,
        "device_barcode": barcode,
        "patron_card": card_number,
        "branch_code": f["branch_code"],
        "branch_timezone": f["timezone"],
        "kind": kind,
        "checked_out_at": now,
        "due_at": due_at,
        "renewals": 0,
        "status": LoanStatus.ACTIVE,
        "returned_at": None,
        "service_point_code": point.code if point else None,
    }
    return actor, LoanReply(loan=loan_view(loan_row, now), kit=[])


async def check_in(actor: Actor, now: datetime, barcode: str) -> tuple[Actor, CheckinReply | None]:
    """A plain checkin: no kit, no line, not lost, no steps, nobody waiting; back on the shelf."""
    conn = _connection()
    f = await conn.fetchrow(CHECKIN_FACTS, barcode, actor.token_digest, now)
    actor = checked_again(actor, f["token"], now, Action.CHECKIN)
    if f["id"] is None:
        raise NotFound(f"No device with barcode {barcode!r}.", Code.DEVICE_NOT_FOUND)
    if f["loan_id"] is None or f["loan_status"] == LoanStatus.LOST or f["loan_program"]:
        return actor, None
    if f["has_line"] or f["has_parts"] or f["has_steps"] or f["hold_waiting"]:
        return actor, None
    if f["loan_reservation"] is not None or f["reserved"]:
        return actor, None  # back from an event, or a reservation may want it
    place = next_place(PlaceFacts(damaged=False, retire=False, needs_processing=False))
    if place.status is not DeviceStatus.AVAILABLE:
        return actor, None
    loan_id = await conn.fetchval(
        CHECKIN_WRITE,
        f["loan_id"],
        now,
        f["id"],
        actor.name,
        barcode,
        f["loan_status"],
        f["patron_card"],
        place.status.value,
        current_request_id(),
    )
    if loan_id is None:
        return actor, None
    loan_row = {
        "id": loan_id,
        "device_barcode": barcode,
        "patron_card": f["patron_card"],
        "branch_code": f["loan_branch_code"],
        "branch_timezone": f["loan_branch_timezone"],
        "kind": f["loan_kind"],
        "checked_out_at": f["checked_out_at"],
        "due_at": f["due_at"],
        "renewals": f["renewals"],
        "status": LoanStatus.RETURNED,
        "returned_at": now,
    }
    device_row = {
        **dict(f.items()),
        "status": place.status.value,
        "updated_at": now,
        "last_seen_at": now,
    }
    return actor, CheckinReply(
        loan=loan_view(loan_row, now), device=device_view(device_row, None), hold=None
    )


async def renew(
    actor: Actor, now: datetime, loan_id: int, patron_id: int | None
) -> tuple[Actor, LoanReply | None]:
    conn = _connection()
    f = await conn.fetchrow(RENEW_FACTS, loan_id, patron_id, _since(now), actor.token_digest, now)
    actor = checked_again(actor, f["token"], now, Action.RENEW)
    if f["id"] is None:
        raise NotFound(f"No loan with id {loan_id}.", Code.LOAN_NOT_FOUND)
    if f["program"] is not None or f["reserved"]:
        return actor, None  # the program's terms, or reservations of the kind: the general path
    policy = _policy(f["kind"], f["policy"])
    facts = LoanFacts(
        status=f["status"],
        renewals=f["renewals"],
        due_at=f["due_at"],
        patron_blocked=bool(f["patron_blocked"]),
    )
    others_waiting = f["others_waiting"]
    refusal = can_renew(
        facts,
        policy,
        others_waiting,
        f["available"] if others_waiting else 0,
        now=now,
        by_resident=actor.role == "resident",
    )
    if refusal:
        raise refusal.error()  # the loan row is locked and current; the rest as in general
    due_at = renewed_due_at(facts, policy, _calendar(f["branch_timezone"], f["closed"]), now)
    renewals = f["renewals"] + 1
    written = await conn.fetchval(
        RENEW_WRITE,
        loan_id,
        due_at,
        renewals,
        f["renewals"],
        now,
        actor.name,
        f["device_barcode"],
        due_at.isoformat(),
        f["patron_card"],
        current_request_id(),
    )
    if written is None:
        return actor, None
    row = {**dict(f.items()), "due_at": due_at, "renewals": renewals}
    return actor, LoanReply(loan=loan_view(row, now))
