"""Scheduled jobs: the record of runs, and running one now (admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromQuery, Parameter

from ..circulation.permissions import Action
from ..jobs import JOBS, run_job
from ..schemas.base import Input
from ..schemas.jobs import JobRunList, JobRunReply
from ..services.library.job_runs import list_runs
from .common import Filter, JSONBody, Limit, Now, Offset, SettingsDep, errors
from .security import requires

__all__ = ["JobController"]


class JobRunIn(Input):
    now: datetime | None = None  # run "as of" this time (tests, back-fills); default: now


class JobController(Controller):
    path = "/api/jobs"
    tags = ["jobs"]
    guards = [requires(Action.JOB_RUN)]

    @get("/", responses=errors(401, 403, 422))
    async def list_(
        self,
        settings: SettingsDep,
        job: Filter = None,
        failed: FromQuery[bool | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> JobRunList:
        page = await list_runs(
            settings.timezone, job=job, failed=failed, limit=limit, offset=offset
        )
        return JobRunList(items=page.items, total=page.total, jobs=sorted(JOBS))

    @post("/{name:str}/run", status_code=200, responses=errors(400, 401, 403, 404, 422))
    async def run(
        self,
        name: Annotated[str, Parameter(max_length=64)],
        now: Now,
        settings: SettingsDep,
        data: JSONBody[JobRunIn | None] = None,
    ) -> JobRunReply:
        when = data.now if data is not None and data.now is not None else now
        if when.tzinfo is None:
            from ..circulation import FieldError, Invalid

            raise Invalid(FieldError("now", "give a time with its UTC offset"))
        return await run_job(name, when, settings, trigger="api")
