"""The hot path's statements (PostgreSQL): for checkout, checkin and renew, one facts query that
takes the locks and reads every fact, and one writing statement that writes only when the facts
the decision used still hold (see services/circulation/hot_path.py). The audit event carries the
request's id as the writing statement's last parameter."""

from __future__ import annotations

from ...circulation import (
    OPEN_HOLD_STATUSES,
    DeviceStatus,
    HoldStatus,
    LineStatus,
    LoanStatus,
    PartStatus,
)
from ...circulation.reservations import CAPACITY_STATUSES
from ..access.tokens import TOKEN_RECORD_SQL

__all__ = [
    "CHECKIN_FACTS",
    "CHECKIN_WRITE",
    "CHECKOUT_FACTS",
    "CHECKOUT_WRITE",
    "RENEW_FACTS",
    "RENEW_WRITE",
]

_TOKEN = TOKEN_RECORD_SQL.format(digest="$4::text")
# Status values are the rules' members, written into the SQL text once at import.
_OPEN_HOLDS = "(" + ", ".join(f"'{s}'" for s in OPEN_HOLD_STATUSES) + ")"
# A reservation still counting against the pool of the kind at the branch: the general path
# decides (services/reservations/walk_up.py); the writes check it again.
_BOOKED = "(" + ", ".join(f"'{s}'" for s in CAPACITY_STATUSES) + ")"


def _reserved(branch: str, kind: str, now: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM reservation r WHERE r.branch = {branch} AND r.kind = {kind} "
        f"AND r.free_at > {now} AND r.status IN {_BOOKED})"
    )


# The patron's and household's open loans are read once (`o`): the loan counts for the limits
# and the overdue list are filters over the same rows.
#
# Lock order as in the general path: the patron, their household (advisory lock), their open
# holds of the device's kind, then the device. Each step waits for the one before it: a CTE's
# one-time filter on the previous CTE runs before its own rows are read and locked.
CHECKOUT_FACTS = f"""
WITH p AS MATERIALIZED (
    SELECT id, blocked, block_reason, expires_on, household FROM patron
    WHERE card_number = $1 FOR UPDATE
), hh AS MATERIALIZED (
    SELECT pg_advisory_xact_lock(hashtext('household:' || household)) FROM p
    WHERE household <> ''
), h AS MATERIALIZED (
    SELECT hold.id FROM hold JOIN p ON hold.patron = p.id
    WHERE hold.kind IN (SELECT kind FROM device WHERE barcode = $2)
      AND hold.status IN {_OPEN_HOLDS} AND (SELECT count(*) FROM hh) >= 0
    FOR UPDATE OF hold
), d AS MATERIALIZED (
    SELECT id, kind, status, branch, program FROM device
    WHERE barcode = $2 AND (SELECT count(*) FROM h) >= 0
    FOR UPDATE
)
SELECT d.id AS device_id, d.kind, d.status, b.id AS branch_id, b.code AS branch_code,
    b.timezone, p.id AS patron_id, p.blocked, p.block_reason, p.expires_on, p.household,
    (SELECT count(*) FROM h) AS own_holds,
    d.program AS device_program,
    EXISTS (SELECT 1 FROM enrolment e WHERE e.patron = p.id) AS enrolled,
    (SELECT count(*) FROM kit_part k WHERE k.device = d.id AND k.status = '{PartStatus.PRESENT}') AS parts,
    (SELECT x.patron FROM hold x WHERE x.device = d.id AND x.status = '{HoldStatus.READY}' LIMIT 1)
        AS held_for,
    o.own_loans,
    CASE WHEN p.household <> '' THEN o.household_loans END AS household_loans,
    o.overdue,
    (SELECT row_to_json(x) FROM policy x WHERE x.kind = d.kind) AS policy,
    (SELECT array_agg(c.date) FROM closure c WHERE c.branch = d.branch AND c.date >= $3)
        AS closed,
    {_reserved("d.branch", "d.kind", "$5")} AS reserved,
    EXISTS (SELECT 1 FROM service_line s WHERE s.device = d.id
        AND s.status = '{LineStatus.SUSPENDED}') AS line_suspended,
    {_TOKEN} AS token
FROM (SELECT 1) AS one LEFT JOIN d ON true LEFT JOIN p ON true
LEFT JOIN branch b ON b.id = d.branch
LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE l.patron = p.id AND l.kind = d.kind) AS own_loans,
        count(*) FILTER (WHERE l.kind = d.kind) AS household_loans,
        array_agg(ROW(v.barcode, l.kind, l.due_at, l.patron = p.id) ORDER BY l.due_at, l.id)
            FILTER (WHERE l.due_at < $5) AS overdue
    FROM loan l JOIN device v ON v.id = l.device
    WHERE l.returned_at IS NULL AND l.patron IN (SELECT m.id FROM patron m
        WHERE m.id = p.id OR (p.household <> '' AND m.household = p.household))
) AS o ON true
"""

CHECKOUT_WRITE = f"""
WITH still AS (
    SELECT 1 WHERE
        (SELECT count(*) FROM loan
            WHERE patron = $2 AND kind = $4 AND returned_at IS NULL) = $12
        AND ($13::bigint IS NULL OR (SELECT count(*) FROM loan l JOIN patron m ON m.id = l.patron
            WHERE m.household = $5 AND l.kind = $4 AND l.returned_at IS NULL) = $13)
        AND NOT EXISTS (SELECT 1 FROM hold
            WHERE patron = $2 AND kind = $4 AND status IN {_OPEN_HOLDS})
        AND (SELECT patron FROM hold WHERE device = $1 AND status = '{HoldStatus.READY}' LIMIT 1)
            IS NOT DISTINCT FROM $14::bigint
        AND NOT {_reserved("$3", "$4", "$6")}
), loan_in AS (
    INSERT INTO loan (device, patron, branch, kind, household, checked_out_at, due_at,
        renewals, status, returned_at, checked_out_by, service_point)
    SELECT $1, $2, $3, $4, $5, $6, $7, 0, '{LoanStatus.ACTIVE}', NULL, $8, $15::bigint FROM still
    RETURNING id
), device_out AS (
    UPDATE device SET status = '{DeviceStatus.ON_LOAN}', updated_at = $6
    WHERE id = $1 AND EXISTS (SELECT 1 FROM loan_in) RETURNING id
), event_in AS (
    INSERT INTO event (at, actor, action, subject, details, patron_card, loan, request_id)
    SELECT $6, $8, 'checkout', $9,
        json_strip_nulls(json_build_object('loan', id, 'kind', $4::text, 'due_at', $10::text,
            'service_point', $16::text)), $11, id, $17::text
    FROM loan_in RETURNING id
)
SELECT id FROM loan_in
"""

CHECKIN_FACTS = f"""
WITH d AS MATERIALIZED (SELECT * FROM device WHERE barcode = $1 FOR UPDATE)
SELECT d.*, b.code AS branch_code, b.timezone AS branch_timezone,
    l.id AS loan_id, l.status AS loan_status, l.kind AS loan_kind, l.checked_out_at,
    l.program AS loan_program,
    l.due_at, l.renewals, lb.code AS loan_branch_code, lb.timezone AS loan_branch_timezone,
    lp.card_number AS patron_card,
    EXISTS (SELECT 1 FROM service_line s WHERE s.device = d.id) AS has_line,
    EXISTS (SELECT 1 FROM loan_part x WHERE x.loan = l.id) AS has_parts,
    EXISTS (SELECT 1 FROM service_step s WHERE s.kind = d.kind) AS has_steps,
    EXISTS (SELECT 1 FROM hold h
        WHERE h.kind = d.kind AND h.branch = d.branch AND h.status = '{HoldStatus.WAITING}') AS hold_waiting,
    l.reservation AS loan_reservation,
    {_reserved("d.branch", "d.kind", "$3")} AS reserved,
    {TOKEN_RECORD_SQL.format(digest="$2::text")} AS token
FROM (SELECT 1) AS one LEFT JOIN d ON true LEFT JOIN branch b ON b.id = d.branch
LEFT JOIN loan l ON l.device = d.id AND l.returned_at IS NULL
LEFT JOIN patron lp ON lp.id = l.patron LEFT JOIN branch lb ON lb.id = l.branch
"""

CHECKIN_WRITE = f"""
WITH back AS (
    UPDATE loan SET returned_at = $2, status = '{LoanStatus.RETURNED}'
    WHERE id = $1 AND returned_at IS NULL RETURNING id
), placed AS (
    UPDATE device SET status = $8, updated_at = $2, last_seen_at = $2
    WHERE id = $3 AND EXISTS (SELECT 1 FROM back) RETURNING id
), event_in AS (
    INSERT INTO event (at, actor, action, subject, details, patron_card, loan, request_id)
    SELECT $2, $4, 'checkin', $5, json_build_object('loan', id, 'was', $6::text), $7, id,
        $9::text
    FROM back RETURNING id
)
SELECT id FROM back
"""

RENEW_FACTS = f"""
WITH l AS MATERIALIZED (
    SELECT * FROM loan WHERE id = $1 AND ($2::bigint IS NULL OR patron = $2) FOR UPDATE
)
SELECT l.*, p.blocked AS patron_blocked, p.card_number AS patron_card,
    v.barcode AS device_barcode, b.code AS branch_code, b.timezone AS branch_timezone,
    EXISTS (SELECT 1 FROM hold h
        WHERE h.kind = l.kind AND h.branch = l.branch AND h.status = '{HoldStatus.WAITING}') AS others_waiting,
    (SELECT count(*) FROM device x
        WHERE x.kind = l.kind AND x.branch = l.branch AND x.status = '{DeviceStatus.AVAILABLE}') AS available,
    (SELECT row_to_json(x) FROM policy x WHERE x.kind = l.kind) AS policy,
    (SELECT array_agg(c.date) FROM closure c WHERE c.branch = l.branch AND c.date >= $3)
        AS closed,
    {_reserved("l.branch", "l.kind", "$5")} AS reserved,
    {_TOKEN} AS token
FROM (SELECT 1) AS one LEFT JOIN l ON true LEFT JOIN patron p ON p.id = l.patron
LEFT JOIN device v ON v.id = l.device LEFT JOIN branch b ON b.id = l.branch
"""

RENEW_WRITE = f"""
WITH renewed AS (
    UPDATE loan SET due_at = $2, renewals = $3 WHERE id = $1 AND renewals = $4
        AND NOT {_reserved("loan.branch", "loan.kind", "$5")}
    RETURNING id
), event_in AS (
    INSERT INTO event (at, actor, action, subject, details, patron_card, loan, request_id)
    SELECT $5, $6, 'renew', $7,
        json_build_object('loan', id, 'due_at', $8::text, 'renewals', $3::int), $9, id,
        $10::text
    FROM renewed RETURNING id
)
SELECT id FROM renewed
"""
