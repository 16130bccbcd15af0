"""Reading the record of job runs."""

from __future__ import annotations

from typing import Any

from ...schemas.jobs import JobRunOut
from ...tables import JobRun
from .._common.paging import Page, page_of
from .._common.render import local_time

__all__ = ["list_runs", "run_view"]


def run_view(row: dict[str, Any], timezone: str) -> JobRunOut:
    return JobRunOut(
        id=row["id"],
        job=row["job"],
        now=local_time(row["now"], timezone),  # type: ignore[arg-type]  # never NULL
        started_at=local_time(row["started_at"], timezone),  # type: ignore[arg-type]
        finished_at=local_time(row["finished_at"], timezone),
        summary=row["summary"] or {},
        error=row["error"] or None,
        trigger=row["trigger"],
        instance=row["instance"],
    )


async def list_runs(
    timezone: str,
    *,
    job: str | None = None,
    failed: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[JobRunOut]:
    conditions = []
    if job:
        conditions.append(JobRun.job == job)
    if failed is True:
        conditions.append(JobRun.error != "")
    elif failed is False:
        conditions.append(JobRun.error == "")
    query = JobRun.select().order_by(JobRun.id, ascending=False)
    count = JobRun.count()
    if conditions:
        query = query.where(*conditions)
        count = count.where(*conditions)
    rows = await query.limit(limit).offset(offset).output(load_json=True)
    return page_of([run_view(r, timezone) for r in rows], await count)
