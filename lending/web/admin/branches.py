"""Admin console: branches and their closed dates, through lending.services.library.branches. A closed
date moves due dates set from then on to the next open day."""

from __future__ import annotations

import re

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from ...circulation import Conflict, Invalid, NotFound
from ...circulation.codes import Code
from ...circulation.permissions import Action
from ...services._common.render import zone
from ...services.library import branches
from ..pages import read_form, render, requires_page, see_other
from ..sessions import page_actor
from .fields import PAGE_SIZE, FormCheck, page_window

__all__ = ["AdminBranchController"]

CODE = re.compile(r"^[A-Za-z0-9_.-]+$")  # as the API (lending/http/schemas.py BranchIn)
MAX_CODE = 32
MAX_NAME = 200
MAX_ZONE = 64
MAX_REASON = 200
COMMON_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
)


def _code(raw: str) -> str:
    code = raw.strip()
    if not code or len(code) > MAX_CODE or not CODE.match(code):
        raise NotFound(f"No branch with code {code[:40]!r}.", Code.BRANCH_NOT_FOUND)
    return code


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) < 7 else 1


class AdminBranchController(Controller):
    path = "/admin/branches"
    include_in_schema = False

    async def _list(
        self, request: Request, page: str | None, check: FormCheck | None = None, status: int = 200
    ) -> Template:
        number = _page_number(page)
        found = await branches.list_branches(PAGE_SIZE, (number - 1) * PAGE_SIZE)
        default = {"timezone": request.app.state.settings.timezone}
        return render(
            request,
            "admin/branches.html",
            status=status,
            branches=found.items,
            window=page_window(request, found.total, number),
            values=check.values if check else default,
            errors=check.errors if check else {},
            zones=COMMON_ZONES,
        )

    @get("/", guards=[requires_page(Action.POLICY_READ)])
    async def index(self, request: Request, page: FromQuery[str | None] = None) -> Template:
        return await self._list(request, page)

    @post("/", status_code=200, guards=[requires_page(Action.BRANCH_EDIT)])
    async def create(self, request: Request) -> Template | Redirect:
        check = FormCheck(await read_form(request))
        code = check.text("code", max_len=MAX_CODE, required="Enter a short code, like MAIN.")
        if code and not CODE.match(code):
            check.add("code", "Use letters, digits, dots, dashes and underscores only.")
        name = check.text("name", max_len=MAX_NAME, required="Enter the branch name.")
        timezone = check.text("timezone", max_len=MAX_ZONE, required="Enter a time zone.")
        if check.ok:
            try:
                await branches.create_branch(
                    await page_actor(request),
                    request.app.state.clock(),
                    code=code,  # type: ignore[arg-type]
                    name=name,  # type: ignore[arg-type]
                    timezone=timezone,  # type: ignore[arg-type]
                )
            except Invalid as exc:
                check.refused(exc, ("code", "name", "timezone"))
            except Conflict as exc:
                check.add("code", exc.detail)
            else:
                return see_other(request, f"/admin/branches/{code}", flash=f"Branch {code} added.")
        return await self._list(request, None, check, status=422)

    async def _branch(
        self, request: Request, code: str, check: FormCheck | None = None, status: int = 200
    ) -> Template:
        branch = await branches.get_branch(code)
        clock = request.app.state.clock()
        return render(
            request,
            "admin/branch.html",
            status=status,
            branch=branch,
            today=clock.astimezone(zone(branch.timezone)).date(),
            values=check.values if check else {},
            errors=check.errors if check else {},
        )

    @get("/{code:str}", guards=[requires_page(Action.POLICY_READ)])
    async def show(self, request: Request, code: FromPath[str]) -> Template:
        return await self._branch(request, _code(code))

    @post("/{code:str}/closures", status_code=200, guards=[requires_page(Action.BRANCH_EDIT)])
    async def add_closure(self, request: Request, code: FromPath[str]) -> Template | Redirect:
        code = _code(code)
        await branches.branch_by_code(code)
        check = FormCheck(await read_form(request))
        day = check.day("date", required="Enter the date the branch is closed.")
        reason = check.text("reason", max_len=MAX_REASON) or ""
        if check.ok and day is not None:
            try:
                await branches.add_closure(
                    await page_actor(request),
                    request.app.state.clock(),
                    code=code,
                    day=day,
                    reason=reason,
                )
            except Conflict as exc:
                check.add("date", exc.detail)
            else:
                return see_other(
                    request,
                    f"/admin/branches/{code}",
                    flash=f"Closed on {day.isoformat()}: due dates from now on skip it.",
                )
        return await self._branch(request, code, check, status=422)

    @post(
        "/{code:str}/closures/{day:str}/remove",
        status_code=200,
        guards=[requires_page(Action.BRANCH_EDIT)],
    )
    async def remove_closure(
        self, request: Request, code: FromPath[str], day: FromPath[str]
    ) -> Redirect:
        code = _code(code)
        check = FormCheck({"date": day})
        when = check.day("date")
        if when is None:
            raise NotFound(f"Branch {code} is not closed on {day[:20]!r}.", Code.CLOSURE_NOT_FOUND)
        await branches.remove_closure(
            await page_actor(request), request.app.state.clock(), code=code, day=when
        )
        return see_other(
            request, f"/admin/branches/{code}", flash=f"{when.isoformat()} is an open day again."
        )
