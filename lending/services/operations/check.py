"""`lending check`: the invariants the database cannot fully enforce, each as one set-based
query, and the safe repair of those that have one (an audit event each); the rest are listed
for a person. Also the nightly `check` job, whose last run the dashboard shows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec

from ...circulation import (
    CarrierActionStatus,
    ChargeStatus,
    DeviceStatus,
    HoldStatus,
    LineStatus,
    LoanStatus,
    NoticeStatus,
)
from ...database import write_transaction
from ...tables import Device, Hold
from .._common import audit
from .._common.sql import fetch
from ..actors import Actor

__all__ = ["CHECKS", "CheckReport", "Violation", "run_checks"]

ACTOR = Actor("check", "system")
SHOWN = 50  # rows listed per invariant


class Violation(msgspec.Struct, kw_only=True):
    check: str
    what: str  # the invariant, in words
    rows: list[dict[str, Any]]  # the rows involved (at most SHOWN)
    count: int
    repair: str | None  # the safe repair, when there is one
    repaired: int = 0


class CheckReport(msgspec.Struct, kw_only=True):
    checked: int
    violations: list[Violation]

    @property
    def problems(self) -> int:
        return sum(v.count - v.repaired for v in self.violations)


async def _rows(sql: str, *args: Any) -> list[dict[str, Any]]:
    return [
        {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}
        for row in await fetch(sql, *args)
    ]


@dataclass(frozen=True)
class Check:
    name: str
    what: str
    sql: str  # the violating rows; `{now}` placeholders take `now`
    repair: str | None = None
    fix: Callable[[datetime, dict[str, Any]], Awaitable[None]] | None = None
    needs_now: bool = False


async def _device_to_next_place(now: datetime, row: dict[str, Any]) -> None:
    from ..circulation.lifecycle import move_on

    device = await Device.select().where(Device.id == row["device_id"]).first()
    if device is None or device["status"] != row["status"]:
        return  # changed meanwhile: nothing to do
    await audit.record(
        ACTOR,
        "check_repaired",
        device["barcode"],
        now,
        {"check": row["check"], "was": row["status"]},
    )
    await move_on(ACTOR, now, device, processed=True)


async def _hold_back_in_queue(now: datetime, row: dict[str, Any]) -> None:
    await Hold.update(
        {Hold.status: HoldStatus.WAITING, Hold.device: None, Hold.ready_until: None}
    ).where((Hold.id == row["hold_id"]) & (Hold.status == HoldStatus.READY))
    await audit.record(
        ACTOR, "check_repaired", f"hold:{row['hold_id']}", now, {"check": row["check"]}
    )


async def _restore_line(now: datetime, row: dict[str, Any]) -> None:
    from ..lines.carrier_actions import queue_restore

    if await queue_restore(row["device_id"], now, ACTOR.name):
        await audit.record(
            ACTOR, "check_repaired", row["iccid"], now, {"check": row["check"], "restore": True}
        )


_ACTIVE, _LOST = LoanStatus.ACTIVE.value, LoanStatus.LOST.value

CHECKS: tuple[Check, ...] = (
    Check(
        "device_on_loan_without_loan",
        "a device marked on loan with no open loan",
        "SELECT d.id AS device_id, d.barcode, d.status FROM device d "
        f"WHERE d.status = '{DeviceStatus.ON_LOAN}' AND NOT EXISTS (SELECT 1 FROM loan l "
        "WHERE l.device = d.id AND l.returned_at IS NULL) ORDER BY d.id",
        "send the device to its next place (hold shelf, shelf)",
        _device_to_next_place,
    ),
    Check(
        "loan_without_device_on_loan",
        "an open loan whose device is not marked on loan (or lost)",
        "SELECT l.id AS loan_id, d.barcode, d.status, l.status AS loan_status FROM loan l "
        f"JOIN device d ON d.id = l.device WHERE l.returned_at IS NULL AND ((l.status = '{_ACTIVE}' "
        f"AND d.status <> '{DeviceStatus.ON_LOAN}') OR (l.status = '{_LOST}' "
        f"AND d.status <> '{DeviceStatus.LOST}')) ORDER BY l.id",
    ),
    Check(
        "ready_hold_without_shelf_device",
        "a ready hold whose device is not on the hold shelf",
        "SELECT h.id AS hold_id, d.barcode, d.status FROM hold h LEFT JOIN device d "
        f"ON d.id = h.device WHERE h.status = '{HoldStatus.READY}' AND (d.id IS NULL "
        f"OR d.status <> '{DeviceStatus.ON_HOLD_SHELF}') ORDER BY h.id",
        "put the hold back at the front of its queue",
        _hold_back_in_queue,
    ),
    Check(
        "shelf_device_without_ready_hold",
        "a device on the hold shelf with no ready hold",
        "SELECT d.id AS device_id, d.barcode, d.status FROM device d "
        f"WHERE d.status = '{DeviceStatus.ON_HOLD_SHELF}' AND NOT EXISTS (SELECT 1 FROM hold h "
        f"WHERE h.device = d.id AND h.status = '{HoldStatus.READY}') ORDER BY d.id",
        "send the device to its next place (the next waiting patron, the shelf)",
        _device_to_next_place,
    ),
    Check(
        "device_with_two_lines",
        "a device with more than one line installed (the database refuses it too: this finds it "
        "in data restored from elsewhere)",
        "SELECT d.barcode, COUNT(*) AS lines FROM service_line s JOIN device d ON d.id = s.device "
        "GROUP BY d.barcode HAVING COUNT(*) > 1 ORDER BY d.barcode",
    ),
    Check(
        "suspended_line_not_overdue",
        "a suspended line in a device that is not overdue (and no restore on its way)",
        "SELECT s.iccid, d.id AS device_id, d.barcode FROM service_line s JOIN device d "
        f"ON d.id = s.device WHERE s.status = '{LineStatus.SUSPENDED}' AND NOT EXISTS (SELECT 1 "
        f"FROM loan l WHERE l.device = d.id AND l.returned_at IS NULL AND l.due_at < {{}}) "
        "AND NOT EXISTS (SELECT 1 FROM carrier_action a WHERE a.line = s.id "
        f"AND a.action = 'restore' AND a.status IN ('{CarrierActionStatus.PENDING}', "
        f"'{CarrierActionStatus.TASK}')) ORDER BY s.iccid",
        "queue the line's restore",
        _restore_line,
        needs_now=True,
    ),
    Check(
        "notice_pending_over_a_day",
        "a notice still pending more than a day after it was queued",
        "SELECT n.id AS notice_id, n.kind, n.created_at FROM notice n "
        f"WHERE n.status = '{NoticeStatus.PENDING}' AND n.created_at < {{}} ORDER BY n.id",
        needs_now=True,
    ),
    Check(
        "charge_on_anonymized_loan",
        "an open charge on a loan that has lost its patron (anonymized)",
        "SELECT c.id AS charge_id, c.loan AS loan_id, c.amount_cents FROM charge c JOIN loan l "
        f"ON l.id = c.loan WHERE c.status = '{ChargeStatus.OPEN}' AND l.patron IS NULL "
        "ORDER BY c.id",
    ),
)


def _argument(check: Check, now: datetime) -> tuple[Any, ...]:
    if not check.needs_now:
        return ()
    return (now - timedelta(days=1),) if "notice" in check.name else (now,)


async def run_checks(now: datetime, *, fix: bool = False) -> CheckReport:
    """Every invariant; with `fix`, the safe repairs, each in its own transaction."""
    violations = []
    for check in CHECKS:
        found = await _rows(check.sql + f" LIMIT {SHOWN * 20}", *_argument(check, now))
        if not found:
            continue
        repaired = 0
        if fix and check.fix is not None:
            for row in found:
                async with write_transaction():
                    await check.fix(now, {**row, "check": check.name})
                repaired += 1
        violations.append(
            Violation(
                check=check.name,
                what=check.what,
                rows=found[:SHOWN],
                count=len(found),
                repair=check.repair,
                repaired=repaired,
            )
        )
    return CheckReport(checked=len(CHECKS), violations=violations)
