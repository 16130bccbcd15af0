"""Scheduled jobs: each is a thin async function of `now` over the services."""

from .registry import JOBS, run_job

__all__ = ["JOBS", "run_job"]
