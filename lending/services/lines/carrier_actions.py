"""Carrier actions: suspending and restoring hotspot lines through the carrier gateway.

`carrier_action` is an outbox. `queue_line_suspensions` (overdue.py) queues suspends,
`queue_restore` (called inside the checkin transaction) queues restores, and the
`carrier_actions` job carries them out:

- it claims due pending actions in a short transaction, the oldest open action of a line first
  and never while another action of that line is in flight;
- a line gets at most `carrier_daily_limit` actions carried out in any 24 hours (carriers impose
  such limits): beyond that the action waits until the oldest of them leaves the window;
- with the manual gateway a claimed action becomes a staff task (status `task`), marked done by
  `complete_task`; with the webhook gateway it is sent outside any transaction, then recorded:
  done (and the line's status set), or retried with backoff (1 min * 2^(attempts-1), at most
  1 h), or `failed` after `carrier_max_attempts` attempts (see `list_failing_lines`).

While an action is being sent its `done_by` is SENDING and `next_attempt_at` is a lease: a run
that crashed mid-send lets the action be claimed again when the lease ends. `attempts` counts
sends started, so `attempts > 0` means the carrier may have carried the action out.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec

from ...carrier import CarrierGateway, CarrierRequest, action_text, gateway_for
from ...circulation import (
    CarrierActionStatus,
    Conflict,
    FieldError,
    Invalid,
    LineStatus,
    NotFound,
)
from ...circulation.codes import Code
from ...circulation.states import values
from ...database import is_postgres, write_transaction
from ...schemas.lines import CarrierActionList, CarrierActionOut
from ...settings import Settings
from ...tables import CarrierAction, Loan, ServiceLine
from .._common import audit
from .._common.guards import duplicate_is
from .._common.render import local_time
from .._common.rows import Row
from .._common.sql import fetch
from ..actors import Actor

__all__ = [
    "ACTION_STATUSES",
    "FAILING_ATTEMPTS",
    "JOB_ACTOR",
    "CarrierRun",
    "backoff",
    "complete_task",
    "list_failing_lines",
    "list_tasks",
    "queue_restore",
    "retry_action",
    "run_carrier_actions",
]

ACTION_STATUSES = values(*CarrierActionStatus)
PENDING, TASK, DONE, FAILED, CANCELLED = (
    CarrierActionStatus.PENDING,
    CarrierActionStatus.TASK,
    CarrierActionStatus.DONE,
    CarrierActionStatus.FAILED,
    CarrierActionStatus.CANCELLED,
)
OPEN = values(PENDING, TASK)
FAILING_ATTEMPTS = 3
SENDING = "sending"  # done_by while an action is in flight
LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
WINDOW = timedelta(hours=24)
BATCH = 100
JOB_ACTOR = Actor("job:carrier_actions", "system")
LINE_STATUS_AFTER = {"suspend": LineStatus.SUSPENDED, "restore": LineStatus.ACTIVE}
DONE_EVENT = {"suspend": "line_suspended", "restore": "line_restored"}

ACTION_COLUMNS = (
    CarrierAction.all_columns(),
    CarrierAction.line.iccid.as_alias("iccid"),
    CarrierAction.line.msisdn.as_alias("msisdn"),
    CarrierAction.line.carrier.as_alias("carrier"),
    CarrierAction.line.status.as_alias("line_status"),
    CarrierAction.line.device.barcode.as_alias("device_barcode"),
)


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 1, 2, 4, ... minutes, at most 1 hour."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def request_id(action_id: int) -> str:
    """Stable for an action across its retries, so the carrier can recognise a repeat."""
    return f"lending-carrier-action-{action_id}"


def _locked(query: Any) -> Any:
    return query.lock_rows(of=(CarrierAction,)) if is_postgres() else query


class CarrierRun(msgspec.Struct, kw_only=True):
    """What one run of the carrier_actions job did."""

    done: int = 0  # carried out by the gateway
    tasks_created: int = 0  # handed to staff (manual gateway)
    retries_scheduled: int = 0
    failed: int = 0  # given up after carrier_max_attempts
    postponed: int = 0  # the line was at its daily limit


def _payload(row: dict[str, Any]) -> CarrierRequest:
    return {
        "action": row["action"],
        "iccid": row["iccid"],
        "phone_number": row["msisdn"],
        "carrier": row["carrier"],
        "request_id": request_id(row["id"]),
    }


def _in_flight(row: dict[str, Any]) -> bool:
    return row["done_by"] == SENDING and row["status"] in (PENDING, CANCELLED)


def action_view(row: dict[str, Any], timezone: str) -> CarrierActionOut:
    done_by = row["done_by"] if row["done_by"] not in ("", SENDING) else None
    return CarrierActionOut(
        id=row["id"],
        action=row["action"],
        status=row["status"],
        text=action_text(row["action"], row["msisdn"], row["iccid"], row["carrier"]),
        iccid=row["iccid"],
        phone_number=row["msisdn"],
        carrier=row["carrier"],
        line_status=row["line_status"],
        device=row["device_barcode"],
        loan=row["loan"],
        attempts=row["attempts"],
        in_flight=_in_flight(row),
        next_attempt_at=local_time(row["next_attempt_at"], timezone),
        last_error=row["last_error"] or None,
        created_at=local_time(row["created_at"], timezone),
        done_at=local_time(row["done_at"], timezone),
        done_by=done_by,
    )


async def _action(action_id: int, *, lock: bool = False) -> Row | None:
    query = CarrierAction.select(*ACTION_COLUMNS).where(CarrierAction.id == action_id)
    if lock:
        # FOR UPDATE cannot lock the outer-joined line columns: lock the action row alone.
        locked = await _locked(
            CarrierAction.select(CarrierAction.id).where(CarrierAction.id == action_id)
        ).first()
        if locked is None:
            return None
    return await query.first()


async def _set_line_status(line_id: int, action: str, now: datetime) -> None:
    """After a suspend or restore was carried out (a cancelled line stays cancelled)."""
    await ServiceLine.update(
        {ServiceLine.status: LINE_STATUS_AFTER[action], ServiceLine.updated_at: now}
    ).where((ServiceLine.id == line_id) & (ServiceLine.status != LineStatus.CANCELLED))


# --- checkin -------------------------------------------------------------------------------


async def queue_restore(device_id: int, now: datetime, actor_name: str) -> bool:
    """Called inside the checkin transaction for the returned device. Cancels every suspend of
    the device's line that was not carried out (pending, a staff task, or failed); if the line
    is suspended, or a cancelled suspend may have reached the carrier (sent at least once, or in
    flight right now), queues a restore due at once. Returns whether a restore is queued."""
    line = (
        await ServiceLine.select(ServiceLine.id, ServiceLine.iccid)
        .where(ServiceLine.device == device_id)
        .first()
    )
    if line is None:
        return False
    actor = Actor(actor_name, "system")
    # Locked so the job cannot claim one of them between this read and the cancel below (its
    # claim skips locked rows; a claim already made is seen as in flight).
    suspends = await _locked(
        CarrierAction.select()
        .where(
            (CarrierAction.line == line["id"])
            & (CarrierAction.action == "suspend")
            & (
                CarrierAction.status.is_in([PENDING, TASK, FAILED])
                | (CarrierAction.done_by == SENDING)
            )
        )
        .order_by(CarrierAction.id)
    )
    maybe_sent = False
    loan = None
    for suspend in suspends:
        loan = suspend["loan"] if suspend["loan"] is not None else loan
        if suspend["attempts"] > 0 or suspend["done_by"] == SENDING:
            maybe_sent = True
        if suspend["status"] == CANCELLED:
            continue
        await CarrierAction.update({CarrierAction.status: CANCELLED}).where(
            CarrierAction.id == suspend["id"]
        )
        await audit.record(
            actor,
            "carrier_action_cancelled",
            line["iccid"],
            now,
            {"action_id": suspend["id"], "action": "suspend", "was": suspend["status"]},
            loan=suspend["loan"],
        )
    # Read the status after the lock: a suspend recorded as done meanwhile has changed it.
    status = (
        await ServiceLine.select(ServiceLine.status).where(ServiceLine.id == line["id"]).first()
    )["status"]
    existing = (
        await CarrierAction.select(CarrierAction.id)
        .where(
            (CarrierAction.line == line["id"])
            & (CarrierAction.action == "restore")
            & CarrierAction.status.is_in(list(OPEN))
        )
        .first()
    )
    if existing is not None:  # already queued (a second call changes nothing)
        return True
    if status != LineStatus.SUSPENDED and not maybe_sent:
        return False
    await fetch(
        "INSERT INTO carrier_action (line, action, loan, status, attempts, next_attempt_at, "
        "last_error, created_at, done_at, done_by) "
        f"VALUES ({{}}, 'restore', {{}}, '{PENDING}', 0, {{}}, '', {{}}, NULL, '') "
        "ON CONFLICT DO NOTHING",
        line["id"],
        loan,
        now,
        now,
    )
    await audit.record(
        actor,
        "carrier_restore_queued",
        line["iccid"],
        now,
        {"line_status": status, "suspend_may_have_been_sent": maybe_sent},
        loan=loan,
    )
    return True


# --- the job -------------------------------------------------------------------------------


async def run_carrier_actions(
    now: datetime, settings: Settings, gateway: CarrierGateway | None = None
) -> CarrierRun:
    """Carry out due carrier actions (see the module docstring). Idempotent for one `now`."""
    gateway = gateway or gateway_for(settings)
    counts = CarrierRun()
    seen: set[int] = set()
    while True:
        async with write_transaction():
            claimed, to_send = await _claim(now, settings, gateway, counts)
        if not claimed or claimed <= seen:
            break  # nothing due (the second test guards against looping on one action)
        seen |= claimed
        for row in to_send:
            try:
                reply = await gateway.perform(_payload(row))
            except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
                message = str(exc) or type(exc).__name__
                async with write_transaction():
                    await _record_failure(row["id"], message, now, settings, counts)
            else:
                async with write_transaction():
                    await _record_success(row["id"], reply, now, counts)
    return counts


async def _claim(
    now: datetime, settings: Settings, gateway: CarrierGateway, counts: CarrierRun
) -> tuple[set[int], list[Row]]:
    """Claim due actions: the oldest pending action of each line, unless another action of the
    line is in flight. Each becomes a task, is postponed (daily limit) or is leased for sending."""
    lock = " FOR UPDATE OF a SKIP LOCKED" if is_postgres() else ""
    rows = await fetch(
        "SELECT a.id FROM carrier_action a "
        f"WHERE a.status = '{PENDING}' AND a.next_attempt_at <= {{}} "
        "AND NOT EXISTS (SELECT 1 FROM carrier_action b WHERE b.line = a.line "
        f"AND b.status = '{PENDING}' AND b.id < a.id) "
        "AND NOT EXISTS (SELECT 1 FROM carrier_action c WHERE c.line = a.line AND c.id <> a.id "
        f"AND c.done_by = '{SENDING}' AND c.next_attempt_at > {{}}) "
        f"ORDER BY a.next_attempt_at, a.id LIMIT {BATCH}{lock}",
        now,
        now,
    )
    ids = [r["id"] for r in rows]
    if not ids:
        return set(), []
    actions = (
        await CarrierAction.select(*ACTION_COLUMNS)
        .where(CarrierAction.id.is_in(ids))
        .order_by(CarrierAction.id)
    )
    to_send = []
    for row in actions:
        if await _postpone_over_limit(row, now, settings.carrier_daily_limit):
            counts.postponed += 1
        elif gateway.makes_tasks:
            text = await gateway.perform(_payload(row))
            await CarrierAction.update({CarrierAction.status: TASK}).where(
                CarrierAction.id == row["id"]
            )
            await audit.record(
                JOB_ACTOR,
                "carrier_task_created",
                row["iccid"],
                now,
                {"task": row["id"], "action": row["action"], "text": text},
                loan=row["loan"],
            )
            counts.tasks_created += 1
        else:
            await CarrierAction.update(
                {
                    CarrierAction.attempts: CarrierAction.attempts + 1,
                    CarrierAction.done_by: SENDING,
                    CarrierAction.next_attempt_at: now + LEASE,
                }
            ).where(CarrierAction.id == row["id"])
            to_send.append(row)
    return set(ids), to_send


async def _postpone_over_limit(row: dict[str, Any], now: datetime, limit: int) -> bool:
    """A line at its daily limit: move the action to when the oldest action carried out in the
    last 24 hours leaves the window. Returns whether it was postponed."""
    recent = (
        await CarrierAction.select(CarrierAction.done_at)
        .where(
            (CarrierAction.line == row["line"])
            & (CarrierAction.status == DONE)
            & (CarrierAction.done_at > now - WINDOW)
        )
        .order_by(CarrierAction.done_at)
    )
    if len(recent) < limit:
        return False
    # The oldest done actions leave the window first; once len(recent) - limit + 1 have left,
    # the line is below its limit again.
    until = recent[len(recent) - limit]["done_at"] + WINDOW
    await CarrierAction.update({CarrierAction.next_attempt_at: until}).where(
        CarrierAction.id == row["id"]
    )
    await audit.record(
        JOB_ACTOR,
        "carrier_action_postponed",
        row["iccid"],
        now,
        {
            "action_id": row["id"],
            "action": row["action"],
            "daily_limit": limit,
            "until": until.isoformat(),
        },
        loan=row["loan"],
    )
    return True


async def _record_success(action_id: int, reply: str, now: datetime, counts: CarrierRun) -> None:
    row = await _action(action_id, lock=True)
    if row is None or not _in_flight(row):
        return  # recorded by another run
    # A suspend cancelled while in flight was still carried out: record it (its restore is
    # queued behind it).
    await CarrierAction.update(
        {
            CarrierAction.status: DONE,
            CarrierAction.done_at: now,
            CarrierAction.done_by: JOB_ACTOR.name,
            CarrierAction.last_error: "",
        }
    ).where(CarrierAction.id == action_id)
    await _set_line_status(row["line"], row["action"], now)
    await audit.record(
        JOB_ACTOR,
        DONE_EVENT[row["action"]],
        row["iccid"],
        now,
        {
            "action_id": action_id,
            "attempts": row["attempts"],
            "request_id": request_id(action_id),
            "reply": reply,
        },
        loan=row["loan"],
    )
    counts.done += 1


async def _record_failure(
    action_id: int, error: str, now: datetime, settings: Settings, counts: CarrierRun
) -> None:
    row = await _action(action_id, lock=True)
    if row is None or row["done_by"] != SENDING:
        return
    attempts = row["attempts"]
    gives_up = row["status"] == PENDING and attempts >= settings.carrier_max_attempts
    next_attempt = now + backoff(attempts)
    values: dict[Any, Any] = {
        CarrierAction.last_error: error[:2000],
        CarrierAction.done_by: "",
        CarrierAction.next_attempt_at: next_attempt,
    }
    if gives_up:
        values[CarrierAction.status] = FAILED
    await CarrierAction.update(values).where(CarrierAction.id == action_id)
    details = {"action_id": action_id, "action": row["action"], "attempts": attempts}
    details["error"] = error[:500]
    if gives_up:
        counts.failed += 1
        await audit.record(
            JOB_ACTOR, "carrier_action_failed", row["iccid"], now, details, loan=row["loan"]
        )
    else:
        counts.retries_scheduled += 1
        details["next_attempt_at"] = next_attempt.isoformat()
        await audit.record(
            JOB_ACTOR, "carrier_attempt_failed", row["iccid"], now, details, loan=row["loan"]
        )


# --- staff: tasks, failing lines, retries --------------------------------------------------


def _status(status: str | None) -> str:
    status = status or TASK
    if status not in ACTION_STATUSES:
        raise Invalid(FieldError("status", f"must be one of {', '.join(ACTION_STATUSES)}"))
    return status


async def list_tasks(
    status: str | None = TASK, limit: int = 50, offset: int = 0, *, timezone: str = "UTC"
) -> CarrierActionList:
    """Carrier actions by status; the default, `task`, lists the open staff tasks of the
    manual gateway, oldest first, each with its text ("Suspend line +1 555 0100 (ICCID ...)
    at CARRIER")."""
    status = _status(status)
    condition = CarrierAction.status == status
    newest_first = status in (DONE, FAILED, CANCELLED)
    return await _page(condition, newest_first, limit, offset, timezone)


async def _page(
    condition: Any, newest_first: bool, limit: int, offset: int, timezone: str
) -> CarrierActionList:
    rows = (
        await CarrierAction.select(*ACTION_COLUMNS)
        .where(condition)
        .order_by(CarrierAction.id, ascending=not newest_first)
        .limit(limit)
        .offset(offset)
    )
    total = await CarrierAction.count().where(condition)
    return CarrierActionList(items=[action_view(r, timezone) for r in rows], total=total)


async def complete_task(
    task_id: int, actor: Actor, now: datetime, *, timezone: str = "UTC"
) -> CarrierActionOut:
    """Staff carried a task out at the carrier: the task is done and the line's status set."""
    async with write_transaction():
        row = await _action(task_id, lock=True)
        if row is None:
            raise NotFound(f"No carrier task with id {task_id}.", Code.TASK_NOT_FOUND)
        if row["status"] != TASK:
            raise Conflict(
                f"Carrier action {task_id} is not an open task (it is {row['status']}).",
                Code.TASK_NOT_OPEN,
            )
        await CarrierAction.update(
            {
                CarrierAction.status: DONE,
                CarrierAction.done_at: now,
                CarrierAction.done_by: actor.name,
            }
        ).where(CarrierAction.id == task_id)
        await _set_line_status(row["line"], row["action"], now)
        await audit.record(
            actor,
            DONE_EVENT[row["action"]],
            row["iccid"],
            now,
            {"task": task_id, "text": action_view(row, timezone).text},
            loan=row["loan"],
        )
        done = await _action(task_id)
    return action_view(done, timezone)


async def list_failing_lines(
    limit: int = 50, offset: int = 0, *, timezone: str = "UTC"
) -> CarrierActionList:
    """Actions the carrier keeps refusing: given up (`failed`), or still pending after
    FAILING_ATTEMPTS attempts. Newest first, each with its line and last error."""
    condition = (CarrierAction.status == FAILED) | (
        (CarrierAction.status == PENDING) & (CarrierAction.attempts >= FAILING_ATTEMPTS)
    )
    return await _page(condition, True, limit, offset, timezone)


async def retry_action(
    action_id: int, actor: Actor, now: datetime, *, timezone: str = "UTC"
) -> CarrierActionOut:
    """Try a failed (or still pending) action again now, with a fresh set of attempts."""
    async with write_transaction():
        row = await _action(action_id, lock=True)
        if row is None:
            raise NotFound(f"No carrier action with id {action_id}.", Code.CARRIER_ACTION_NOT_FOUND)
        if row["status"] not in (FAILED, PENDING) or row["done_by"] == SENDING:
            state = "being sent" if row["done_by"] == SENDING else row["status"]
            raise Conflict(
                f"Carrier action {action_id} cannot be retried: it is {state}.",
                Code.ACTION_NOT_RETRYABLE,
            )
        if row["action"] == "suspend" and row["loan"] is not None:
            returned = await Loan.exists().where(
                (Loan.id == row["loan"]) & Loan.returned_at.is_not_null()
            )
            if returned:
                raise Conflict(
                    f"Carrier action {action_id} suspends the line of a loan already returned.",
                    Code.ACTION_NOT_RETRYABLE,
                )
        other_open = await CarrierAction.exists().where(
            (CarrierAction.line == row["line"])
            & (CarrierAction.action == row["action"])
            & CarrierAction.status.is_in(list(OPEN))
            & (CarrierAction.id != action_id)
        )
        if other_open:
            raise Conflict(
                f"Line {row['iccid']} already has an open {row['action']} action.",
                Code.ACTION_ALREADY_OPEN,
            )
        with duplicate_is(
            Conflict(
                f"Line {row['iccid']} already has an open {row['action']} action.",
                Code.ACTION_ALREADY_OPEN,
            )
        ):
            await CarrierAction.update(
                {
                    CarrierAction.status: PENDING,
                    CarrierAction.attempts: 0,
                    CarrierAction.next_attempt_at: now,
                }
            ).where(CarrierAction.id == action_id)
        await audit.record(
            actor,
            "carrier_action_retried",
            row["iccid"],
            now,
            {"action_id": action_id, "action": row["action"], "was": row["status"]},
            loan=row["loan"],
        )
        retried = await _action(action_id)
    return action_view(retried, timezone)
