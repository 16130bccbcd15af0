"""Privacy: returned loans older than the retention period lose their link to the patron.
Device, dates and branch stay for statistics. Loans with an open charge keep the patron until
the charge is settled. Set-based, in id-range batches. Failed logins older than the lockout
window (they name a client address) are deleted."""

from __future__ import annotations

from datetime import datetime, timedelta

from msgspec import Struct

from ...circulation import ChargeStatus
from ...database import write_transaction
from .._common.sql import execute, fetch

__all__ = ["Anonymized", "anonymize_loans", "purge_login_attempts"]

RANGE = 100_000


class Anonymized(Struct, kw_only=True):
    anonymized_loans: int


async def anonymize_loans(now: datetime, retain_days: int) -> Anonymized:
    cutoff = now - timedelta(days=retain_days)
    bounds = await fetch("SELECT MIN(id) AS lo, MAX(id) AS hi FROM loan WHERE patron IS NOT NULL")
    lo, hi = bounds[0]["lo"], bounds[0]["hi"]
    if lo is None:
        return Anonymized(anonymized_loans=0)
    total = 0
    start = lo - 1
    while start < hi:
        end = start + RANGE
        stale = (
            "SELECT l.id FROM loan l WHERE l.id > {} AND l.id <= {} AND l.patron IS NOT NULL "
            "AND l.returned_at IS NOT NULL AND l.returned_at < {} "
            "AND NOT EXISTS (SELECT 1 FROM charge c WHERE c.loan = l.id "
            f"AND c.status = '{ChargeStatus.OPEN}')"
        )
        async with write_transaction():
            counted = await fetch(f"SELECT COUNT(*) AS n FROM ({stale}) s", start, end, cutoff)
            n = int(counted[0]["n"])
            if n:
                await execute(
                    f"UPDATE event SET patron_card = NULL WHERE patron_card IS NOT NULL "
                    f"AND loan IN ({stale})",
                    start,
                    end,
                    cutoff,
                )
                await execute(
                    "UPDATE notice SET patron = NULL, recipient = NULL, subject = '', body = '' "
                    f"WHERE loan IN ({stale})",
                    start,
                    end,
                    cutoff,
                )
                await execute(
                    f"UPDATE loan SET patron = NULL, household = NULL WHERE id IN ({stale})",
                    start,
                    end,
                    cutoff,
                )
                await execute(
                    "INSERT INTO event (at, actor, action, subject, details, patron_card, loan) "
                    "VALUES ({}, 'job:anonymize', 'loans_anonymized', 'loans', {}, NULL, NULL)",
                    now,
                    f'{{"count": {n}, "from_id": {start + 1}, "to_id": {end}}}',
                )
        total += n
        start = end
    return Anonymized(anonymized_loans=total)


async def purge_login_attempts(now: datetime, window_minutes: int) -> int:
    """Failed logins older than the lockout window count for nothing: delete them (they hold
    the client's address). Returns how many went."""
    async with write_transaction():
        return await execute(
            "DELETE FROM login_attempt WHERE at < {}", now - timedelta(minutes=window_minutes)
        )
