"""Admin console: the notice queue (/admin/notices), like Koha's message queue: every notice,
pending, sent, only in the local outbox, failed or not sent and why, per patron; "Send again"
re-queues a failed or not-sent one (audited). Over lending.services.notices.queue_view."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from ...circulation import LendingError
from ...circulation.permissions import Action
from ...services.notices.queue_view import (
    NOTICE_STATES,
    NoticeState,
    list_notices,
    notice_health,
    resend_notice,
)
from ..pages import render, requires_page, see_other
from ..sessions import page_actor
from .fields import local_time, page_window
from .tasks import row_id

__all__ = ["AdminNoticeController"]

PAGE_SIZE = 50
MAX_CARD = 64
TONES = {  # the badge of each state
    NoticeState.SENT: "ok",
    NoticeState.PENDING: "warn",
    NoticeState.OUTBOX: "warn",
    NoticeState.FAILED: "bad",
    NoticeState.NOT_SENT: "",
}


def _filters(query: dict[str, str]) -> dict[str, str]:
    """A filter is a search, not a form: a value that cannot match is dropped."""
    state = query.get("status") or ""
    card = (query.get("patron") or "").strip()
    return {
        "status": state if state in NOTICE_STATES else "",
        "patron": card if len(card) <= MAX_CARD and card.isprintable() else "",
    }


class AdminNoticeController(Controller):
    path = "/admin/notices"
    guards = [requires_page(Action.NOTICE_MANAGE)]
    include_in_schema = False

    async def _page(
        self, request: Request, *, problem: str | None = None, status: int = 200
    ) -> Template:
        settings = request.app.state.settings
        query = request.query_params
        filters = _filters({k: query.get(k) or "" for k in ("status", "patron")})
        raw_page = query.get("page") or "1"
        number = int(raw_page) if raw_page.isdigit() and 0 < len(raw_page) < 7 else 1
        result = await list_notices(
            settings.timezone,
            state=filters["status"] or None,
            card=filters["patron"] or None,
            limit=PAGE_SIZE,
            offset=(max(number, 1) - 1) * PAGE_SIZE,
        )
        return render(
            request,
            "admin/notices.html",
            status=status,
            notices=result.items,
            tones=TONES,
            window=page_window(request, result.total, number, PAGE_SIZE),
            filters=filters,
            filtered=any(filters.values()),
            state_options=[("", "Every status")] + list(NOTICE_STATES.items()),
            notice_health=await notice_health(settings),
            when=lambda value: local_time(value, settings.timezone),
            problem=problem,
        )

    @get("/")
    async def index(self, request: Request) -> Template:
        return await self._page(request)

    @post("/{notice_id:str}/resend", status_code=200)
    async def resend(self, request: Request, notice_id: FromPath[str]) -> Template | Redirect:
        item = row_id(notice_id)
        state = request.app.state
        try:
            if item is None:
                raise LendingError(f"There is no notice {notice_id[:20]!r}.")
            done = await resend_notice(
                item, await page_actor(request), state.clock(), timezone=state.settings.timezone
            )
        except LendingError as exc:
            return await self._page(request, problem=exc.detail, status=exc.status)
        who = f" for patron {done.patron}" if done.patron else ""
        return see_other(
            request,
            "/admin/notices",
            flash=f"Notice {item}{who} queued to be sent again (by {done.channel}).",
        )
