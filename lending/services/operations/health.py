"""What an operator asks at a glance: is this instance healthy? The database and its migration
state, whether this instance leads the scheduled jobs and when each job last succeeded, whether
mail, SMS and the carrier gateway are set up and how much is failing, and the version."""

from __future__ import annotations

from datetime import datetime

import msgspec

from ... import __version__
from ...circulation import CarrierActionStatus, NoticeStatus
from ...database import is_postgres
from ...notify.channels import Channels
from ...settings import Settings
from ...tables import CarrierAction, Notice
from .._common.render import local_time
from .._common.sql import fetch
from ..library.migrations import pending_migrations

__all__ = ["HealthDetails", "health_details"]


class JobState(msgspec.Struct, kw_only=True):
    job: str
    last_run_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None  # the last run's error, when it failed


class Delivery(msgspec.Struct, kw_only=True):
    email_set_up: bool
    sms_set_up: bool
    problems: list[str]  # what is missing for real email and SMS
    notices_pending: int
    notices_failed: int
    carrier_gateway: str
    carrier_actions_failed: int
    carrier_tasks_open: int  # suspends and restores waiting for staff (manual gateway)


class HealthDetails(msgspec.Struct, kw_only=True):
    status: str  # ok, or degraded (pending migrations, failing jobs or deliveries)
    version: str
    database: str  # postgresql or sqlite
    migrations_pending: list[str]
    runs_jobs: bool  # this instance takes part in the scheduled jobs
    leads_jobs: bool | None  # this instance leads them now (None: it does not take part)
    jobs: list[JobState]
    delivery: Delivery


async def _jobs(timezone: str) -> list[JobState]:
    rows = await fetch(
        "SELECT job, MAX(started_at) AS last_run, "
        "MAX(CASE WHEN error = '' AND finished_at IS NOT NULL THEN started_at END) AS last_ok "
        "FROM job_run GROUP BY job ORDER BY job"
    )
    errors = {
        r["job"]: r["error"]
        for r in await fetch(
            "SELECT r.job, r.error FROM job_run r JOIN (SELECT job, MAX(id) AS id FROM job_run "
            "GROUP BY job) m ON m.id = r.id"
        )
    }

    def moment(value):
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return local_time(value, timezone) if value is not None else None

    return [
        JobState(
            job=r["job"],
            last_run_at=moment(r["last_run"]),
            last_success_at=moment(r["last_ok"]),
            last_error=errors.get(r["job"]) or None,
        )
        for r in rows
    ]


async def health_details(settings: Settings, *, leads_jobs: bool | None) -> HealthDetails:
    channels = Channels(settings)
    problems = [p for p in (channels.email.problem, channels.sms.problem) if p]
    delivery = Delivery(
        email_set_up=channels.email.problem is None,
        sms_set_up=channels.sms.problem is None,
        problems=problems,
        notices_pending=await Notice.count().where(Notice.status == NoticeStatus.PENDING),
        notices_failed=await Notice.count().where(Notice.status == NoticeStatus.FAILED),
        carrier_gateway=settings.carrier_gateway,
        carrier_actions_failed=await CarrierAction.count().where(
            CarrierAction.status == CarrierActionStatus.FAILED
        ),
        carrier_tasks_open=await CarrierAction.count().where(
            CarrierAction.status == CarrierActionStatus.TASK
        ),
    )
    pending = await pending_migrations()
    jobs = await _jobs(settings.timezone)
    failing = any(j.last_error for j in jobs) or delivery.notices_failed
    failing = failing or delivery.carrier_actions_failed
    return HealthDetails(
        status="degraded" if pending or failing else "ok",
        version=__version__,
        database="postgresql" if is_postgres() else "sqlite",
        migrations_pending=pending,
        runs_jobs=settings.run_jobs,
        leads_jobs=leads_jobs,
        jobs=jobs,
        delivery=delivery,
    )
