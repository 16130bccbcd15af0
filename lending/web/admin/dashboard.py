"""The admin console's start page: devices, loans due, waitlists, suspended lines, jobs, and
the warning when email/SMS is not set up."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, Request, get
from litestar.response import Template

from ...circulation.permissions import Action
from ...services._common.render import render_time
from ...services.notices.queue_view import notice_health
from ...services.operations.health import health_details
from ...services.reports.dashboard import dashboard
from ..pages import render, requires_page

__all__ = ["AdminDashboardController"]


def _stamp(value: datetime | None) -> str:
    """A time as the dashboard shows it: ISO 8601 with a space, in the library's zone."""
    return (render_time(value) or "").replace("T", " ")


class AdminDashboardController(Controller):
    path = "/admin"
    guards = [requires_page(Action.REPORT_READ)]
    include_in_schema = False

    @get("/")
    async def show(self, request: Request) -> Template:
        state = request.app.state
        figures = await dashboard(state.clock(), state.settings.timezone)
        scheduler = getattr(state, "scheduler", None)
        leads = scheduler.leadership.is_leader if scheduler is not None else None
        instance = await health_details(state.settings, leads_jobs=leads)
        health = await notice_health(state.settings)
        return render(
            request,
            "admin/dashboard.html",
            notice_health=health,
            devices=figures.devices,
            loans=figures.loans,
            waitlists=figures.waitlists,
            lines=figures.lines,
            jobs=figures.jobs,
            reservations_short=figures.reservations_short,
            health=instance,
            stamp=_stamp,
        )
