"""Shelf audits: start one for a branch (or one shelf), scan (one small transaction per scan),
read the live lists, close it (set-based: lists frozen, missing listed, last-seen recorded,
missing optionally marked lost). Also the "not seen for N days" report."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from msgspec import structs

from ...circulation import Conflict, FieldError, Invalid, NotFound, ShelfAuditStatus
from ...circulation.codes import Code
from ...circulation.inventory import AUDIT_LISTS, DUPLICATE, MISSING, classify_scan
from ...database import is_postgres, write_transaction
from ...schemas.inventory import (
    AuditClosedOut,
    AuditItemDeviceOut,
    AuditItemList,
    AuditItemOut,
    AuditList,
    AuditOut,
    ScanOut,
)
from ...tables import AuditItem, Device, Loan, ShelfAudit
from .._common import audit as trail
from .._common.guards import duplicate_is, unique_violation
from .._common.render import local_time
from .._common.rows import Row
from ..actors import Actor
from ..circulation.loans import loan_rows, loan_view
from ..library.branches import branch_by_code
from .shelf_audit_sql import CLASSIFIED, close_statements, count_lists, list_rows

__all__ = [
    "cancel_audit",
    "close_audit",
    "get_audit",
    "list_audit_items",
    "list_audits",
    "scan",
    "start_audit",
]

AUDIT_COLUMNS = (
    ShelfAudit.all_columns(),
    ShelfAudit.branch.code.as_alias("branch_code"),
    ShelfAudit.branch.timezone.as_alias("timezone"),
)
CLOSE_RESPONSE_MISSING = 500


def audit_view(row: dict[str, Any], counts: dict[str, int]) -> AuditOut:
    tz = row["timezone"]
    return AuditOut(
        id=row["id"],
        branch=row["branch_code"],
        location=row["location"] or None,
        status=ShelfAuditStatus(row["status"]),
        started_at=local_time(row["started_at"], tz),
        started_by=row["started_by"],
        closed_at=local_time(row["closed_at"], tz),
        closed_by=row["closed_by"] or None,
        lost_reason=row["lost_reason"],
        counts=counts,
    )


def _device(row: dict[str, Any]) -> AuditItemDeviceOut | None:
    if row["device_barcode"] is None:
        return None
    return AuditItemDeviceOut(
        barcode=row["device_barcode"],
        kind=row["kind"],
        model=row["model"],
        status=row["status"],
        branch=row["device_branch"],
        location=row["location"] or None,
    )


def item_view(row: dict[str, Any], timezone: str) -> AuditItemOut:
    return AuditItemOut(
        barcode=row["barcode"],
        list=row["list"],
        scanned_at=local_time(row["scanned_at"], timezone),
        scanned_by=row["scanned_by"] or None,
        device=_device(row),
        loan=row.get("loan_id"),
    )


async def _audit(audit_id: int, *, lock: str | None = None) -> Row:
    query = ShelfAudit.select(*AUDIT_COLUMNS).where(ShelfAudit.id == audit_id)
    if lock and is_postgres():
        query = query.lock_rows(lock, of=(ShelfAudit,))
    row = await query.first()
    if row is None:
        raise NotFound(f"No shelf audit with id {audit_id}.", Code.AUDIT_NOT_FOUND)
    return row


def _must_be_open(row: dict[str, Any]) -> None:
    if row["status"] != ShelfAuditStatus.OPEN:
        raise Conflict(f"Shelf audit {row['id']} is {row['status']}.", Code.AUDIT_CLOSED)


async def start_audit(
    actor: Actor, now: datetime, *, branch_code: str, location: str | None
) -> AuditOut:
    location = (location or "").strip()
    async with write_transaction():
        branch = await branch_by_code(branch_code, field="branch")
        busy = Conflict(
            f"An audit of {branch_code} {location or '(whole branch)'} is already open.",
            Code.AUDIT_ALREADY_OPEN,
        )
        if await ShelfAudit.exists().where(
            (ShelfAudit.branch == branch.id)
            & (ShelfAudit.location == location)
            & (ShelfAudit.status == ShelfAuditStatus.OPEN)
        ):
            raise busy
        with duplicate_is(busy):
            rows = await ShelfAudit.insert(
                ShelfAudit(
                    branch=branch.id,
                    location=location,
                    status=ShelfAuditStatus.OPEN,
                    started_at=now,
                    started_by=actor.name,
                )
            ).returning(ShelfAudit.id)
        audit_id = rows[0]["id"]
        await trail.record(
            actor, "audit_started", branch_code, now, {"audit": audit_id, "location": location}
        )
        row = await _audit(audit_id)
    return audit_view(row, await count_lists(row))


async def get_audit(audit_id: int) -> AuditOut:
    row = await _audit(audit_id)
    return audit_view(row, await count_lists(row))


async def list_audits(
    *, branch: str | None, status: str | None, limit: int, offset: int
) -> AuditList:
    conditions = []
    if branch:
        conditions.append(ShelfAudit.branch.code == branch)
    if status:
        conditions.append(ShelfAudit.status == status)
    query = ShelfAudit.select(*AUDIT_COLUMNS).order_by(ShelfAudit.id, ascending=False)
    count = ShelfAudit.count()
    if conditions:
        query, count = query.where(*conditions), count.where(*conditions)
    rows = await query.limit(limit).offset(offset)
    items = []
    for r in rows:
        summary = r["summary"]
        counts = json.loads(summary) if isinstance(summary, str) else (summary or {})
        closed = r["status"] == ShelfAuditStatus.CLOSED
        items.append(audit_view(r, counts if closed else await count_lists(r)))
    return AuditList(items=items, total=await count)


async def list_audit_items(
    audit_id: int, name: str | None, limit: int, offset: int
) -> AuditItemList:
    if name is not None and name not in AUDIT_LISTS:
        raise Invalid(FieldError("list", f"must be one of {', '.join(AUDIT_LISTS)}"))
    row = await _audit(audit_id)
    rows = await list_rows(row, name, limit, offset)
    counts = await count_lists(row)
    total = counts[name] if name else sum(v for k, v in counts.items() if k != MISSING)
    if name is None and row["status"] != ShelfAuditStatus.OPEN:
        total += counts[MISSING]
    return AuditItemList(items=[item_view(r, row["timezone"]) for r in rows], total=total)


async def _scan_once(actor: Actor, now: datetime, audit_id: int, barcode: str) -> ScanOut:
    async with write_transaction():
        row = await _audit(audit_id, lock="SHARE")  # a close waits for scans in flight
        _must_be_open(row)
        device = (
            await Device.select(Device.id, Device.branch, Device.barcode, Device.status)
            .where(Device.barcode == barcode)
            .first()
        )
        already = await AuditItem.exists().where(
            (AuditItem.audit == audit_id)
            & (AuditItem.barcode == barcode)
            & (AuditItem.result != DUPLICATE)
        )
        loans = []
        if device is not None:
            loans = await loan_rows((Loan.device == device["id"]) & Loan.returned_at.is_null())
        result = classify_scan(
            known=device is not None,
            already_scanned=already,
            on_loan=bool(loans),
            same_branch=device is not None and device["branch"] == row["branch"],
        )
        inserted = await AuditItem.insert(
            AuditItem(
                audit=audit_id,
                barcode=barcode,
                device=device["id"] if device else None,
                result=result,
                scanned_at=now,
                scanned_by=actor.name,
            )
        ).returning(AuditItem.id)
        listed = await AuditItem.raw(
            f"SELECT * FROM ({CLASSIFIED}) x WHERE x.id = {{}}", audit_id, inserted[0]["id"]
        )
    item = {**listed[0], "list": result}
    return ScanOut(
        barcode=item["barcode"],
        list=result,
        scanned_at=local_time(item["scanned_at"], row["timezone"]),
        scanned_by=item["scanned_by"] or None,
        device=_device(item),
        loan=loan_view(loans[0], now) if loans else None,
    )


async def scan(actor: Actor, now: datetime, audit_id: int, barcode: str) -> ScanOut:
    """Record one scan. Two scanners sending the same barcode at once: the database lets one
    be first, and the other is retried and recorded as a duplicate."""
    try:
        return await _scan_once(actor, now, audit_id, barcode)
    except Exception as exc:
        if unique_violation(exc):
            return await _scan_once(actor, now, audit_id, barcode)
        raise


async def close_audit(
    actor: Actor, now: datetime, audit_id: int, *, mark_missing_lost: bool, reason: str | None
) -> AuditClosedOut:
    reason = (reason or "").strip() or None
    if mark_missing_lost and reason is None:
        raise Invalid(FieldError("reason", "give a reason to mark the missing devices lost"))
    async with write_transaction():
        row = await _audit(audit_id, lock="UPDATE")
        _must_be_open(row)
        lost_reason = reason if mark_missing_lost else None
        details = json.dumps({"audit": audit_id, "reason": lost_reason})
        await close_statements(row, now, actor.name, lost_reason, details)
        await ShelfAudit.update(
            {
                ShelfAudit.status: ShelfAuditStatus.CLOSED,
                ShelfAudit.closed_at: now,
                ShelfAudit.closed_by: actor.name,
                ShelfAudit.lost_reason: lost_reason,
            }
        ).where(ShelfAudit.id == audit_id)
        row = await _audit(audit_id)
        counts = await count_lists(row)
        await ShelfAudit.update({ShelfAudit.summary: json.dumps(counts)}).where(
            ShelfAudit.id == audit_id
        )
        await trail.record(
            actor,
            "audit_closed",
            row["branch_code"],
            now,
            {"audit": audit_id, "counts": counts, "marked_lost": lost_reason is not None},
        )
        missing = await list_rows(row, MISSING, CLOSE_RESPONSE_MISSING, 0)
    return AuditClosedOut(
        **structs.asdict(audit_view(row, counts)),
        missing=[item_view(r, row["timezone"]) for r in missing],
    )


async def cancel_audit(actor: Actor, now: datetime, audit_id: int) -> AuditOut:
    async with write_transaction():
        row = await _audit(audit_id, lock="UPDATE")
        _must_be_open(row)
        await ShelfAudit.update(
            {
                ShelfAudit.status: ShelfAuditStatus.CANCELLED,
                ShelfAudit.closed_at: now,
                ShelfAudit.closed_by: actor.name,
            }
        ).where(ShelfAudit.id == audit_id)
        await trail.record(actor, "audit_cancelled", row["branch_code"], now, {"audit": audit_id})
        row = await _audit(audit_id)
    return audit_view(row, await count_lists(row))
