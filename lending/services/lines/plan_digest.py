"""One digest to admins listing the lines whose data plan term ends within 30 days."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from ...circulation import LineStatus, NoticeStatus
from ...database import write_transaction
from ...settings import Settings
from ...tables import Notice, ServiceLine
from .._common import audit
from .._common.render import zone
from ..actors import Actor

__all__ = ["WINDOW_DAYS", "PlanDigest", "plan_renewal_digest"]

WINDOW_DAYS = 30
ACTOR = Actor("job:plan_renewals", "system")


class PlanDigest(msgspec.Struct, kw_only=True):
    """How many lines renew or end soon, and whether this run queued the digest (one a day)."""

    lines: int
    digest: bool


async def plan_renewal_digest(now: datetime, settings: Settings) -> PlanDigest:
    today = now.astimezone(zone(settings.timezone)).date()
    until = today + timedelta(days=WINDOW_DAYS)
    rows = (
        await ServiceLine.select(
            ServiceLine.iccid,
            ServiceLine.msisdn,
            ServiceLine.carrier,
            ServiceLine.status,
            ServiceLine.plan.name.as_alias("plan_name"),
            ServiceLine.plan.term_end.as_alias("term_end"),
            ServiceLine.device.barcode.as_alias("device"),
        )
        .where(
            ServiceLine.plan.term_end.is_not_null()
            & (ServiceLine.plan.term_end >= today)
            & (ServiceLine.plan.term_end <= until)
            & (ServiceLine.status != LineStatus.CANCELLED)
        )
        .order_by(ServiceLine.plan.term_end)
    )
    if not rows:
        return PlanDigest(lines=0, digest=False)
    lines = [
        f"- {r['term_end'].isoformat()}  {r['carrier']} {r['plan_name']}: line {r['msisdn']} "
        f"(ICCID {r['iccid']}), {r['status']}, in device {r['device'] or 'none'}"
        for r in rows
    ]
    subject = f"{len(rows)} data plan line(s) renew or end by {until.isoformat()}"
    body = (
        f"{settings.library_name}: these service lines have a data plan whose term ends in the "
        f"next {WINDOW_DAYS} days. Renew the plans you keep, cancel the others.\n\n"
        + "\n".join(lines)
        + "\n"
    )
    async with write_transaction():
        inserted = (
            await Notice.insert(
                Notice(
                    patron=None,
                    kind="plan_digest",
                    loan=None,
                    hold=None,
                    stage=today.isoformat(),
                    channel="email",
                    recipient=settings.admin_email or None,
                    language="en",
                    subject=subject,
                    body=body,
                    status=NoticeStatus.PENDING,
                    attempts=0,
                    next_attempt_at=now,
                    last_error="",
                    created_at=now,
                )
            )
            .on_conflict(action="DO NOTHING")
            .returning(Notice.id)
        )
        if inserted:
            await audit.record(
                ACTOR,
                "plan_digest_queued",
                "plans",
                now,
                {"lines": len(rows), "date": today.isoformat()},
            )
    return PlanDigest(lines=len(rows), digest=bool(inserted))
