"""The SQL of shelf audits, shared by the live lists and the close: one statement per list or
step, never a query per device. Every statement runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ...circulation import DeviceStatus, HoldStatus, ProcessingStatus, ShelfAuditStatus
from ...circulation.inventory import (
    AUDIT_LISTS,
    DUPLICATE,
    EXPECTED_ON_SHELF,
    FOUND,
    MISSING,
    ON_LOAN,
    OTHER_BRANCH,
    UNKNOWN,
)
from ...tables import AuditItem
from .._common.request_context import current_request_id

__all__ = ["count_lists", "expected_condition", "list_rows", "missing_rows"]

_STATUSES = ", ".join(f"'{s}'" for s in EXPECTED_ON_SHELF)

# The list a scan belongs to: frozen at close; while the audit is open it follows the device's
# current state (a device checked in since its scan moves from on_loan to found).
LIST_CASE = f"""CASE WHEN a.status <> '{ShelfAuditStatus.OPEN}'
                OR i.result IN ('{DUPLICATE}', '{UNKNOWN}', '{MISSING}') THEN i.result
            WHEN i.device IS NULL THEN '{UNKNOWN}'
            WHEN EXISTS (SELECT 1 FROM loan l WHERE l.device = i.device AND l.returned_at IS NULL)
                THEN '{ON_LOAN}'
            WHEN d.branch <> a.branch THEN '{OTHER_BRANCH}'
            ELSE '{FOUND}' END"""
FROM_ITEMS = """
FROM audit_item i JOIN shelf_audit a ON a.id = i.audit
LEFT JOIN device d ON d.id = i.device LEFT JOIN branch b ON b.id = d.branch
WHERE i.audit = {}"""
CLASSIFIED = f"""
SELECT i.id, i.barcode, i.scanned_at, i.scanned_by, d.barcode AS device_barcode, d.kind,
       d.model, d.status, d.location, b.code AS device_branch, b.timezone AS timezone,
       (SELECT l.id FROM loan l WHERE l.device = i.device AND l.returned_at IS NULL) AS loan_id,
       {LIST_CASE} AS list {FROM_ITEMS}"""


def expected_condition(location: str) -> str:
    """Devices the audit expects on the shelf: the branch's (and the location's), in a shelf
    status. Parameters: branch id, then the location when there is one."""
    condition = f"d.branch = {{}} AND d.status IN ({_STATUSES})"
    return condition + (" AND d.location = {}" if location else "")


def _expected_args(audit: dict[str, Any]) -> list[Any]:
    return [audit["branch"], audit["location"]] if audit["location"] else [audit["branch"]]


def _time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def list_rows(audit: dict[str, Any], name: str | None, limit: int, offset: int) -> list:
    if name == MISSING and audit["status"] == ShelfAuditStatus.OPEN:
        return await missing_rows(audit, limit, offset)
    args: list[Any] = [audit["id"]]
    if name and audit["status"] != ShelfAuditStatus.OPEN:  # frozen: the stored result is the list
        sql = f"SELECT * FROM ({CLASSIFIED} AND i.result = {{}}) x"
        args.append(name)
    elif name:
        sql = f"SELECT * FROM ({CLASSIFIED}) x WHERE x.list = {{}}"
        args.append(name)
    else:
        sql = f"SELECT * FROM ({CLASSIFIED}) x"
    sql += " ORDER BY x.id LIMIT {} OFFSET {}"
    rows = await AuditItem.raw(sql, *args, limit, offset)
    for r in rows:
        r["scanned_at"] = _time(r["scanned_at"])
    return rows


async def missing_rows(audit: dict[str, Any], limit: int, offset: int) -> list:
    """While the audit is open: the expected devices nobody has scanned yet."""
    sql = (
        "SELECT NULL AS id, d.barcode, NULL AS scanned_at, '' AS scanned_by, "
        "d.barcode AS device_barcode, d.kind, d.model, d.status, d.location, "
        f"b.code AS device_branch, b.timezone AS timezone, NULL AS loan_id, '{MISSING}' AS list "
        "FROM device d JOIN branch b ON b.id = d.branch WHERE "
        + expected_condition(audit["location"])
        + " AND NOT EXISTS (SELECT 1 FROM audit_item i WHERE i.audit = {} AND i.device = d.id)"
        " ORDER BY d.barcode LIMIT {} OFFSET {}"
    )
    return await AuditItem.raw(sql, *_expected_args(audit), audit["id"], limit, offset)


async def count_lists(audit: dict[str, Any]) -> dict[str, int]:
    if audit["status"] == ShelfAuditStatus.OPEN:
        sql = f"SELECT x.list, count(*) AS n FROM (SELECT {LIST_CASE} AS list {FROM_ITEMS}) x"
    else:
        sql = "SELECT x.result AS list, count(*) AS n FROM audit_item x WHERE x.audit = {}"
    rows = await AuditItem.raw(sql + " GROUP BY list", audit["id"])
    counts = dict.fromkeys(AUDIT_LISTS, 0)
    counts.update({r["list"]: r["n"] for r in rows})
    if audit["status"] == ShelfAuditStatus.OPEN:
        missing = await AuditItem.raw(
            "SELECT count(*) AS n FROM device d WHERE "
            + expected_condition(audit["location"])
            + " AND NOT EXISTS (SELECT 1 FROM audit_item i WHERE i.audit = {} AND i.device = d.id)",
            *_expected_args(audit),
            audit["id"],
        )
        counts[MISSING] = missing[0]["n"]
    return counts


# ---- closing ----------------------------------------------------------------------------

# Each scan's list as of the close; only the rows whose list changed since the scan are written.
_OPEN_LOAN = (
    "EXISTS (SELECT 1 FROM loan l WHERE l.device = audit_item.device AND l.returned_at IS NULL)"
)
_HOME = "(SELECT d.branch FROM device d WHERE d.id = audit_item.device)"
_SCANNED = "audit = {} AND device IS NOT NULL AND result IN "
RECLASSIFY = [
    f"UPDATE audit_item SET result = '{ON_LOAN}' "
    f"WHERE {_SCANNED}('{FOUND}', '{OTHER_BRANCH}') AND {_OPEN_LOAN}",
    f"UPDATE audit_item SET result = '{OTHER_BRANCH}' "
    f"WHERE {_SCANNED}('{FOUND}', '{ON_LOAN}') AND NOT {_OPEN_LOAN} AND {_HOME} <> {{}}",
    f"UPDATE audit_item SET result = '{FOUND}' "
    f"WHERE {_SCANNED}('{ON_LOAN}', '{OTHER_BRANCH}') AND NOT {_OPEN_LOAN} AND {_HOME} = {{}}",
]

# Last seen: the latest scan of each device, never moving a later sighting back.
LAST_SEEN = f"""
UPDATE device SET last_seen_at = s.seen
FROM (SELECT i.device, max(i.scanned_at) AS seen FROM audit_item i
      WHERE i.audit = {{}} AND i.device IS NOT NULL AND i.result <> '{MISSING}'
      GROUP BY i.device) s
WHERE device.id = s.device AND (device.last_seen_at IS NULL OR device.last_seen_at < s.seen)"""

MISSING_DEVICES = (
    f"SELECT i.device FROM audit_item i WHERE i.audit = {{}} AND i.result = '{MISSING}'"
)

LOST_EVENTS = f"""
INSERT INTO event (at, actor, action, subject, details, patron_card, loan, request_id)
SELECT {{}}, {{}}, 'marked_lost', d.barcode, {{}}, NULL, NULL, {{}} FROM device d
WHERE d.id IN ({MISSING_DEVICES}) AND d.status IN ({_STATUSES})"""

LOST_HOLDS = f"""
UPDATE hold SET status = '{HoldStatus.WAITING}', device = NULL, ready_until = NULL
WHERE status = '{HoldStatus.READY}' AND device IN ({MISSING_DEVICES})"""

LOST_PROCESSING = f"""
UPDATE processing SET status = '{ProcessingStatus.CANCELLED}', finished_at = {{}}
WHERE status = '{ProcessingStatus.OPEN}' AND device IN ({MISSING_DEVICES})"""

LOST_DEVICES = f"""
UPDATE device SET status = '{DeviceStatus.LOST}', updated_at = {{}},
       notes = CASE WHEN notes = '' THEN {{}} ELSE notes || {{}} END
WHERE id IN ({MISSING_DEVICES}) AND status IN ({_STATUSES})"""


async def close_statements(
    audit: dict[str, Any], now: datetime, actor: str, lost_reason: str | None, details: str
) -> None:
    """Freeze the lists, add the missing, record last-seen, and mark the missing lost when
    asked: a fixed number of statements whatever the audit's size."""
    a = audit["id"]
    await AuditItem.raw(RECLASSIFY[0], a)
    await AuditItem.raw(RECLASSIFY[1], a, audit["branch"])
    await AuditItem.raw(RECLASSIFY[2], a, audit["branch"])
    await AuditItem.raw(
        "INSERT INTO audit_item (audit, barcode, device, result, scanned_at, scanned_by) "
        f"SELECT {{}}, d.barcode, d.id, '{MISSING}', NULL, '' FROM device d WHERE "
        + expected_condition(audit["location"])
        + " AND NOT EXISTS (SELECT 1 FROM audit_item i WHERE i.audit = {} AND i.device = d.id)",
        a,
        *_expected_args(audit),
        a,
    )
    await AuditItem.raw(LAST_SEEN, a)
    if lost_reason is not None:
        note = f"{now.date().isoformat()}: missing in shelf audit {a}: {lost_reason}"
        await AuditItem.raw(LOST_EVENTS, now, actor, details, current_request_id(), a)
        await AuditItem.raw(LOST_HOLDS, a)
        await AuditItem.raw(LOST_PROCESSING, now, a)
        await AuditItem.raw(LOST_DEVICES, now, note, "\n" + note, a)
