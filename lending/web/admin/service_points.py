"""Admin console: service points (branch desks, bookmobiles, mobile labs, partner sites,
lockers), their weekly hours, a vehicle's stops and its coming visits, through
lending.services.library.service_points."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from ...circulation import Conflict, Invalid, NotFound
from ...circulation.codes import Code
from ...circulation.permissions import Action
from ...circulation.schedules import VEHICLE_TYPES, WEEKDAYS, ServicePointType
from ...services._common.render import zone
from ...services.library import branches, service_points
from ..pages import read_form, render, requires_page, see_other
from ..sessions import page_actor
from .fields import PAGE_SIZE, FormCheck, page_window

__all__ = ["AdminServicePointController"]

CODE = re.compile(r"^[A-Za-z0-9_.-]+$")  # as the API (schemas/service_points.py PointCode)
MAX_CODE = 32
MAX_TEXT = 200
MAX_ADDRESS = 4000
MAX_ZONE = 64
TYPE_NAMES = {
    ServicePointType.BOOKMOBILE: "Bookmobile",
    ServicePointType.MOBILE_LAB: "Mobile lab",
    ServicePointType.PARTNER_SITE: "Partner site",
    ServicePointType.LOCKER: "Locker",
    ServicePointType.BRANCH: "Branch desk",
}
NEW_TYPES = tuple(t.value for t in TYPE_NAMES if t is not ServicePointType.BRANCH)
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
INTERVAL = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*$")
SCHEDULE_WEEKS = 8


def _code(raw: str) -> str:
    code = raw.strip()
    if not code or len(code) > MAX_CODE or not CODE.match(code):
        raise NotFound(f"No service point with code {code[:40]!r}.", Code.SERVICE_POINT_NOT_FOUND)
    return code


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) < 7 else 1


def _hours_from_form(check: FormCheck) -> dict[str, list[list[str]]]:
    """One field per weekday, "09:00-12:00, 13:00-17:00" (empty: closed that day)."""
    hours: dict[str, list[list[str]]] = {}
    for day, name in zip(WEEKDAYS, DAY_NAMES, strict=True):
        raw = check.text(f"hours_{day}", max_len=100)
        if not raw:
            continue
        intervals = []
        for part in raw.split(","):
            found = INTERVAL.match(part)
            if not found:
                check.add(f"hours_{day}", f"Write {name}'s hours like 09:00-17:00, 18:00-20:00.")
                break
            intervals.append([t.zfill(5) for t in found.groups()])
        hours[day] = intervals
    return hours


def _hours_values(hours: dict[str, list[list[str]]]) -> dict[str, str]:
    return {f"hours_{d}": ", ".join(f"{a}-{b}" for a, b in v) for d, v in hours.items()}


class AdminServicePointController(Controller):
    path = "/admin/service-points"
    include_in_schema = False

    async def _list(
        self, request: Request, page: str | None, check: FormCheck | None = None, status: int = 200
    ) -> Template:
        number = _page_number(page)
        found = await service_points.list_service_points(
            limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE
        )
        parents = await branches.list_branches(500, 0)
        return render(
            request,
            "admin/service_points.html",
            status=status,
            points=found.items,
            window=page_window(request, found.total, number),
            values=check.values if check else {"type": "bookmobile"},
            errors=check.errors if check else {},
            type_names={t.value: n for t, n in TYPE_NAMES.items()},
            type_options=[(t, TYPE_NAMES[ServicePointType(t)]) for t in NEW_TYPES],
            branch_options=[(b.code, f"{b.name} ({b.code})") for b in parents.items],
            days=list(zip(WEEKDAYS, DAY_NAMES, strict=True)),
        )

    @get("/", guards=[requires_page(Action.POLICY_READ)])
    async def index(self, request: Request, page: FromQuery[str | None] = None) -> Template:
        return await self._list(request, page)

    @post("/", status_code=200, guards=[requires_page(Action.SERVICE_POINT_EDIT)])
    async def create(self, request: Request) -> Template | Redirect:
        check = FormCheck(await read_form(request))
        code = check.text("code", max_len=MAX_CODE, required="Enter a short code, like BM1.")
        if code and not CODE.match(code):
            check.add("code", "Use letters, digits, dots, dashes and underscores only.")
        name = check.text("name", max_len=MAX_TEXT, required="Enter the service point's name.")
        kind = check.choice("type", NEW_TYPES, "Choose what kind of service point this is.")
        branch = check.text("branch", max_len=MAX_CODE, required="Choose the parent branch.")
        address = check.text("address", max_len=MAX_ADDRESS) or ""
        timezone = check.text("timezone", max_len=MAX_ZONE)
        hours = _hours_from_form(check)
        if check.ok:
            try:
                await service_points.create_service_point(
                    await page_actor(request),
                    request.app.state.clock(),
                    code=code,  # type: ignore[arg-type]
                    name=name,  # type: ignore[arg-type]
                    type=kind,  # type: ignore[arg-type]
                    branch=branch,  # type: ignore[arg-type]
                    address=address,
                    timezone=timezone,
                    hours=hours,
                )
            except Invalid as exc:
                check.refused(exc, ("code", "name", "type", "branch", "timezone", "hours"))
            except Conflict as exc:
                check.add("code", exc.detail)
            else:
                return see_other(
                    request, f"/admin/service-points/{code}", flash=f"Service point {code} added."
                )
        return await self._list(request, None, check, status=422)

    async def _point(
        self, request: Request, code: str, check: FormCheck | None = None, status: int = 200
    ) -> Template:
        point = await service_points.get_service_point(code)
        today = request.app.state.clock().astimezone(zone(point.timezone)).date()
        vehicle = ServicePointType(point.type) in VEHICLE_TYPES
        coming = (
            await service_points.schedule(
                code, today, today + timedelta(days=7 * SCHEDULE_WEEKS - 1)
            )
            if vehicle
            else None
        )
        values: dict[str, Any] = (
            check.values if check else {"every_weeks": "1", **_hours_values(point.hours)}
        )
        return render(
            request,
            "admin/service_point.html",
            status=status,
            point=point,
            vehicle=vehicle,
            type_name=TYPE_NAMES[ServicePointType(point.type)],
            visits=coming.visits if coming else [],
            weeks=SCHEDULE_WEEKS,
            today=today,
            values=values,
            errors=check.errors if check else {},
            day_names=dict(zip(WEEKDAYS, DAY_NAMES, strict=True)),
            day_options=list(zip(WEEKDAYS, DAY_NAMES, strict=True)),
        )

    @get("/{code:str}", guards=[requires_page(Action.POLICY_READ)])
    async def show(self, request: Request, code: FromPath[str]) -> Template:
        return await self._point(request, _code(code))

    @post("/{code:str}/stops", status_code=200, guards=[requires_page(Action.SERVICE_POINT_EDIT)])
    async def add_stop(self, request: Request, code: FromPath[str]) -> Template | Redirect:
        code = _code(code)
        await service_points.point_by_code(code)
        check = FormCheck(await read_form(request))
        place = check.text("place", max_len=MAX_TEXT, required="Enter where the vehicle stops.")
        weekday = check.choice("weekday", WEEKDAYS, "Choose the day of the week.")
        starts = check.text("starts", max_len=5, required="Enter when the stop starts, HH:MM.")
        ends = check.text("ends", max_len=5, required="Enter when the stop ends, HH:MM.")
        season_starts = check.day("season_starts", required="Enter the season's first day.")
        season_ends = check.day("season_ends")
        every = check.whole("every_weeks", low=1, high=8)
        if check.ok:
            try:
                await service_points.add_stop(
                    await page_actor(request),
                    request.app.state.clock(),
                    code,
                    place=place,  # type: ignore[arg-type]
                    weekday=weekday,  # type: ignore[arg-type]
                    starts=starts,  # type: ignore[arg-type]
                    ends=ends,  # type: ignore[arg-type]
                    season_starts=season_starts,  # type: ignore[arg-type]
                    season_ends=season_ends,
                    every_weeks=every,  # type: ignore[arg-type]
                )
            except Invalid as exc:
                check.refused(
                    exc,
                    (
                        "place",
                        "weekday",
                        "starts",
                        "ends",
                        "season_starts",
                        "season_ends",
                        "every_weeks",
                    ),
                )
            else:
                return see_other(
                    request, f"/admin/service-points/{code}", flash=f"Stop at {place} added."
                )
        return await self._point(request, code, check, status=422)

    @post(
        "/{code:str}/stops/{stop:int}/remove",
        status_code=200,
        guards=[requires_page(Action.SERVICE_POINT_EDIT)],
    )
    async def remove_stop(
        self, request: Request, code: FromPath[str], stop: FromPath[int]
    ) -> Redirect:
        code = _code(code)
        removed = await service_points.remove_stop(
            await page_actor(request), request.app.state.clock(), code, stop
        )
        return see_other(
            request, f"/admin/service-points/{code}", flash=f"Stop at {removed.place} removed."
        )

    @post(
        "/{code:str}/stops/{stop:int}/cancel",
        status_code=200,
        guards=[requires_page(Action.SERVICE_POINT_EDIT)],
    )
    async def cancel_visit(
        self, request: Request, code: FromPath[str], stop: FromPath[int]
    ) -> Template | Redirect:
        code = _code(code)
        check = FormCheck(await read_form(request))
        day = check.day("date", required="Choose the visit to cancel.")
        reason = check.text("reason", max_len=MAX_TEXT) or ""
        if check.ok and day is not None:
            try:
                await service_points.cancel_visit(
                    await page_actor(request),
                    request.app.state.clock(),
                    code,
                    stop,
                    day=day,
                    reason=reason,
                )
            except Invalid as exc:
                check.refused(exc)
            except Conflict as exc:
                check.add("form", exc.detail)
            else:
                return see_other(
                    request,
                    f"/admin/service-points/{code}",
                    flash=f"The visit on {day.isoformat()} is cancelled.",
                )
        return await self._point(request, code, check, status=422)

    @post("/{code:str}/hours", status_code=200, guards=[requires_page(Action.SERVICE_POINT_EDIT)])
    async def set_hours(self, request: Request, code: FromPath[str]) -> Template | Redirect:
        code = _code(code)
        await service_points.point_by_code(code)
        check = FormCheck(await read_form(request))
        hours = _hours_from_form(check)
        if check.ok:
            try:
                await service_points.update_service_point(
                    await page_actor(request), request.app.state.clock(), code, {"hours": hours}
                )
            except Invalid as exc:
                check.refused(exc)
            else:
                return see_other(request, f"/admin/service-points/{code}", flash="Hours saved.")
        return await self._point(request, code, check, status=422)
