"""Auto-renewal: loans of kinds whose policy auto-renews, due within a day, are renewed when the
rules allow it (and the patron is told); otherwise they are left as they are, with the reason
in the run summary."""

from __future__ import annotations

from datetime import datetime, timedelta

from msgspec import Struct

from ...circulation import Conflict, LoanStatus
from ...database import write_transaction
from ...tables import Loan
from ..actors import Actor
from ..library.policies import all_policies
from ..notices.outbox import queue_notice
from . import transactions as circulation

__all__ = ["AutoRenewal", "auto_renew"]

ACTOR = Actor("job:auto_renew", "system")


class AutoRenewal(Struct, kw_only=True):
    """A run of the auto-renewal job: loans renewed, and refusals counted by their code."""

    renewed: int
    not_renewed: dict[str, int]


async def auto_renew(now: datetime) -> AutoRenewal:
    kinds = [p.kind for p in await all_policies() if p.auto_renew]
    if not kinds:
        return AutoRenewal(renewed=0, not_renewed={})
    due = (
        await Loan.select(Loan.id, Loan.patron)
        .where(
            Loan.returned_at.is_null()
            & (Loan.status == LoanStatus.ACTIVE)
            & Loan.kind.is_in(kinds)
            & (Loan.due_at > now)
            & (Loan.due_at <= now + timedelta(days=1))
            & Loan.patron.is_not_null()
        )
        .order_by(Loan.id)
    )
    renewed = 0
    refused: dict[str, int] = {}
    for loan in due:
        try:
            async with write_transaction():  # the renewal and its notice, together
                reply = await circulation.renew(ACTOR, now, loan["id"])
                await queue_notice(
                    "renewed",
                    now,
                    patron_id=loan["patron"],
                    loan=loan["id"],
                    stage=f"r{reply.loan.renewals}",
                )
        except Conflict as refusal:
            refused[refusal.code] = refused.get(refusal.code, 0) + 1
            continue
        renewed += 1
    return AutoRenewal(renewed=renewed, not_renewed=refused)
