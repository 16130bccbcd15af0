"""Scheduled jobs: a recorded run, the list of runs, and the reply to running one now."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .base import Out, Page

__all__ = ["JobRunList", "JobRunOut", "JobRunReply"]


class JobRunOut(Out):
    id: int
    job: str
    now: datetime  # the time the run was "as of", in the library's zone
    started_at: datetime
    finished_at: datetime | None  # None while it runs
    summary: dict[str, Any]  # the job's own counts (free-form)
    error: str | None
    trigger: str
    instance: str


class JobRunList(Page[JobRunOut]):
    items: list[JobRunOut]
    jobs: list[str]  # every job's name, to filter by


class JobRunReply(Out):
    job: str
    run: int
    now: datetime  # as given
    summary: dict[str, Any]
    error: str | None = None  # the run could not do all its work (recorded as failing)
