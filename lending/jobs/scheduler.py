"""APScheduler wiring. Every instance keeps a scheduler; at each tick only the instance that
holds leadership (see leader.py) runs the job. Schedules come from settings."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from ..settings import Settings
from .leader import leadership_for
from .registry import JOBS, run_job

__all__ = ["DEFAULT_SCHEDULES", "JobScheduler", "trigger_for"]

log = logging.getLogger("lending.jobs")

# Seconds between runs, or a crontab line (in the library's time zone).
DEFAULT_SCHEDULES: dict[str, str] = {
    "due_soon": "0 9 * * *",
    "overdue": "0 10 * * *",
    "auto_renew": "0 6 * * *",
    "suspend_lines": "900",
    "mark_lost": "0 2 * * *",
    "expire_holds": "900",
    "plan_renewals": "0 8 * * 1",
    "anonymize": "0 3 * * *",
    "deliver_notices": "60",
    "carrier_actions": "30",  # restores go out within a minute of checkin
    "reservations": "300",  # set aside, no-shows, end of the window
    "check": "30 4 * * *",  # the consistency check, nightly (the dashboard shows the last)
    "check_fix": "off",  # lending check --fix, on demand
}
LEADERSHIP_CHECK_SECONDS = 15


def trigger_for(spec: str, timezone: str) -> IntervalTrigger | CronTrigger:
    spec = spec.strip()
    if spec.isdigit():
        return IntervalTrigger(seconds=max(5, int(spec)), timezone=timezone)
    return CronTrigger.from_crontab(spec, timezone=timezone)


class JobScheduler:
    def __init__(self, settings: Settings, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self.clock = clock
        self.leadership = leadership_for(settings.database_url)
        self.scheduler = AsyncIOScheduler(timezone=settings.timezone)

    def start(self) -> None:
        """Start inside the running event loop (the app's lifespan)."""
        # APScheduler logs every tick at INFO; runs are recorded in job_run instead.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        schedules = {**DEFAULT_SCHEDULES, **self.settings.schedules}
        for name in JOBS:
            spec = schedules.get(name)
            if not spec or spec == "off":
                continue
            self.scheduler.add_job(
                self._run,
                trigger_for(spec, self.settings.timezone),
                args=[name],
                id=name,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=300,
            )
        self.scheduler.add_job(
            self.leadership.try_acquire,
            IntervalTrigger(seconds=LEADERSHIP_CHECK_SECONDS),
            id="leadership",
            max_instances=1,
            next_run_time=self.clock(),
        )
        self.scheduler.start()

    async def _run(self, name: str) -> None:
        if not self.leadership.is_leader:
            return
        try:
            await run_job(name, self.clock(), self.settings, trigger="schedule")
        except Exception:  # noqa: BLE001 - recorded in job_run; keep the scheduler alive
            log.exception("job %s failed", name)

    async def stop(self) -> None:
        self.scheduler.shutdown(wait=False)
        await self.leadership.release()
