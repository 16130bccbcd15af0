"""Admin console: the staff work lists. Carrier tasks (suspend or restore a line by hand at the
carrier, then "Done"), carrier actions that keep failing ("Retry"), and patrons to call because
they have neither email nor phone ("Called"). The same services as /api/tasks and
/api/notices/calls (lending/http/tasks.py)."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from ...circulation import CarrierActionStatus, LendingError
from ...circulation.permissions import Action
from ...services.lines import carrier_actions as carrier
from ...services.notices import call_list
from ..pages import render, requires_page, see_other
from ..sessions import page_actor
from .fields import local_time

__all__ = ["AdminTaskController", "row_id"]

LIST_SIZE = 50
MAX_ID = 2**31 - 1  # row ids are 32-bit serials (as the API's Id)


def row_id(raw: str) -> int | None:
    """A row id typed into an address, or None when it cannot be one."""
    if raw.isascii() and raw.isdigit() and len(raw) <= 10 and 1 <= int(raw) <= MAX_ID:
        return int(raw)
    return None


class AdminTaskController(Controller):
    path = "/admin/tasks"
    include_in_schema = False

    async def _page(
        self, request: Request, *, problem: str | None = None, status: int = 200
    ) -> Template:
        settings = request.app.state.settings
        zone = settings.timezone
        tasks = await carrier.list_tasks(CarrierActionStatus.TASK, LIST_SIZE, 0, timezone=zone)
        failing = await carrier.list_failing_lines(LIST_SIZE, 0, timezone=zone)
        calls = await call_list.list_call_list(
            LIST_SIZE, 0, settings=settings, now=request.app.state.clock()
        )
        return render(
            request,
            "admin/tasks.html",
            status=status,
            tasks=tasks,
            failing=failing,
            given_up=CarrierActionStatus.FAILED,
            calls=calls,
            when=lambda value: local_time(value, zone),
            problem=problem,
        )

    @get("/", guards=[requires_page(Action.LINE_MANAGE)])
    async def index(self, request: Request) -> Template:
        return await self._page(request)

    async def _act(self, request: Request, raw_id: str, what: str) -> Template | Redirect:
        item = row_id(raw_id)
        actor = await page_actor(request)
        now = request.app.state.clock()
        settings = request.app.state.settings
        try:
            if item is None:
                raise LendingError(f"There is nothing with id {raw_id[:20]!r} on these lists.")
            if what == "done":
                done = await carrier.complete_task(item, actor, now, timezone=settings.timezone)
                flash = f"Done: {done.text}. The line is now {done.line_status}."
            elif what == "retry":
                await carrier.retry_action(item, actor, now, timezone=settings.timezone)
                flash = "Queued to be sent to the carrier again."
            else:
                called = await call_list.mark_called(item, actor, now, settings=settings)
                flash = f"Marked as called: patron {called.patron}."
        except LendingError as exc:
            # Someone else may have done it already: say so on the page, with the lists as now.
            return await self._page(request, problem=exc.detail, status=exc.status)
        return see_other(request, "/admin/tasks", flash=flash)

    @post(
        "/carrier/{task_id:str}/done", status_code=200, guards=[requires_page(Action.LINE_MANAGE)]
    )
    async def done(self, request: Request, task_id: FromPath[str]) -> Template | Redirect:
        return await self._act(request, task_id, "done")

    @post(
        "/carrier/{task_id:str}/retry", status_code=200, guards=[requires_page(Action.LINE_MANAGE)]
    )
    async def retry(self, request: Request, task_id: FromPath[str]) -> Template | Redirect:
        return await self._act(request, task_id, "retry")

    @post(
        "/calls/{notice_id:str}/called", status_code=200, guards=[requires_page(Action.NOTICE_CALL)]
    )
    async def called(self, request: Request, notice_id: FromPath[str]) -> Template | Redirect:
        return await self._act(request, notice_id, "called")
