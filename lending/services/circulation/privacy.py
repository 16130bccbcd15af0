"""Privacy: returned loans older than the retention period lose their link to the patron.
Device, dates and branch stay for statistics. Loans with an open charge keep the patron until
the charge is settled. Set-based, in id-range batches. Failed logins older than the lockout
window (they name a client address) are deleted. Programs that ended longer ago than their
retention period lose the patrons of their enrolments, agreements and attendance (and of the
audit events about them); the rows stay, so the counts a funder asks for still add up."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from msgspec import Struct

from ...circulation import ChargeStatus
from ...database import write_transaction
from .._common.request_context import current_request_id
from .._common.sql import execute, fetch

__all__ = [
    "Anonymized",
    "ProgramsAnonymized",
    "anonymize_loans",
    "anonymize_programs",
    "purge_login_attempts",
]

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
                    "INSERT INTO event "
                    "(at, actor, action, subject, details, patron_card, loan, request_id) "
                    "VALUES ({}, 'job:anonymize', 'loans_anonymized', 'loans', {}, NULL, NULL, "
                    "{})",
                    now,
                    f'{{"count": {n}, "from_id": {start + 1}, "to_id": {end}}}',
                    current_request_id(),  # None for the job
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


class ProgramsAnonymized(Struct, kw_only=True):
    anonymized_enrolments: int
    anonymized_agreements: int
    anonymized_attendance: int


# The audit events about a patron in a program (their details name the program).
PROGRAM_EVENTS = (
    "enrolled",
    "enrolment_changed",
    "agreement_signed",
    "training_signed_up",
    "training_attended",
)


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def anonymize_programs(now: datetime, today: date, retain_days: int) -> ProgramsAnonymized:
    """Programs that ended more than `retain_days` before `today` (the library's date): their
    enrolments lose patron and household, agreements their patron and signature, attendance
    its patron, and the audit events about them the card. Method, dates, the attestation,
    the agreement's version and the hours stay."""
    ended = "SELECT id FROM program WHERE ends_on IS NOT NULL AND ends_on < {}"
    cutoff = today - timedelta(days=retain_days)
    async with write_transaction():
        codes = [r["code"] for r in await fetch(
            "SELECT code FROM program WHERE ends_on IS NOT NULL AND ends_on < {} AND EXISTS "
            "(SELECT 1 FROM enrolment e WHERE e.program = program.id AND e.patron IS NOT NULL)",
            cutoff,
        )]  # fmt: skip
        enrolments = await execute(
            "UPDATE enrolment SET patron = NULL, household = NULL, anonymized_at = {} "
            f"WHERE patron IS NOT NULL AND program IN ({ended})",
            now,
            cutoff,
        )
        agreements = await execute(
            "UPDATE agreement SET patron = NULL, signature = '' "
            f"WHERE patron IS NOT NULL AND program IN ({ended})",
            cutoff,
        )
        attendance = await execute(
            "UPDATE attendance SET patron = NULL WHERE patron IS NOT NULL AND session IN "
            f"(SELECT id FROM training_session WHERE program IN ({ended}))",
            cutoff,
        )
        actions = ", ".join(f"'{a}'" for a in PROGRAM_EVENTS)
        for code in codes:
            patterns = [f'%"program": "{_like(code)}"%', f'%"program":"{_like(code)}"%']
            await execute(
                "UPDATE event SET patron_card = NULL, subject = 'anonymized' "
                f"WHERE action IN ({actions}) AND patron_card IS NOT NULL AND "
                "(CAST(details AS TEXT) LIKE {} ESCAPE '\\' "
                "OR CAST(details AS TEXT) LIKE {} ESCAPE '\\')",
                *patterns,
            )
        if enrolments or agreements or attendance:
            await execute(
                "INSERT INTO event "
                "(at, actor, action, subject, details, patron_card, loan, request_id) "
                "VALUES ({}, 'job:anonymize', 'programs_anonymized', 'programs', {}, NULL, NULL, "
                "{})",
                now,
                f'{{"programs": {len(codes)}, "enrolments": {enrolments}}}',
                current_request_id(),  # None for the job
            )
    return ProgramsAnonymized(
        anonymized_enrolments=enrolments,
        anonymized_agreements=agreements,
        anonymized_attendance=attendance,
    )
