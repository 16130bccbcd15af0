"""Carrier service lines and data plans (admin)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get, patch, post
from litestar.params import FromQuery, Parameter

from ..circulation.permissions import Action
from ..schemas.lines import (
    LineIn,
    LineList,
    LineMoveIn,
    LineOut,
    LinePatch,
    PlanIn,
    PlanList,
    PlanOut,
    PlanPatch,
)
from ..services.lines import service_lines as lines
from .common import (
    MAX_ID,
    ActorDep,
    Filter,
    Id,
    JSONBody,
    Limit,
    Now,
    Offset,
    SettingsDep,
    errors,
)
from .security import requires

Iccid = Annotated[str, Parameter(max_length=40)]

__all__ = ["LineController", "LineIn", "LinePatch", "PlanController", "PlanIn", "PlanPatch"]


class PlanController(Controller):
    path = "/api/plans"
    tags = ["service lines"]
    guards = [requires(Action.LINE_MANAGE)]

    @post("/", responses=errors(400, 401, 403, 422))
    async def create(self, data: JSONBody[PlanIn], actor: ActorDep, now: Now) -> PlanOut:
        return await lines.create_plan(actor, now, data.given())

    @get("/", responses=errors(401, 403, 422))
    async def list_(self, limit: Limit = 50, offset: Offset = 0) -> PlanList:
        return await lines.list_plans(limit, offset)

    @patch("/{plan_id:int}", responses=errors(400, 401, 403, 404, 422))
    async def update(
        self, plan_id: Id, data: JSONBody[PlanPatch], actor: ActorDep, now: Now
    ) -> PlanOut:
        return await lines.update_plan(actor, now, plan_id, data.given())


class LineController(Controller):
    path = "/api/lines"
    tags = ["service lines"]
    guards = [requires(Action.LINE_MANAGE)]

    @post("/", responses=errors(400, 401, 403, 409, 422))
    async def create(
        self, data: JSONBody[LineIn], actor: ActorDep, now: Now, settings: SettingsDep
    ) -> LineOut:
        values: dict[str, Any] = data.given()
        return await lines.create_line(actor, now, values, settings.timezone)

    @get("/", responses=errors(401, 403, 422))
    async def list_(
        self,
        settings: SettingsDep,
        status: Filter = None,
        carrier: Filter = None,
        plan: Annotated[int | None, Parameter(ge=1, le=MAX_ID)] = None,
        unassigned: FromQuery[bool | None] = None,
        q: Filter = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> LineList:
        return await lines.list_lines(
            settings.timezone,
            status=status,
            carrier=carrier,
            plan=plan,
            unassigned=unassigned,
            q=q,
            limit=limit,
            offset=offset,
        )

    @get("/{iccid:str}", responses=errors(401, 403, 404, 422))
    async def get_one(self, iccid: Iccid, settings: SettingsDep) -> LineOut:
        return await lines.get_line(iccid, settings.timezone)

    @patch("/{iccid:str}", responses=errors(400, 401, 403, 404, 409, 422))
    async def update(
        self,
        iccid: Iccid,
        data: JSONBody[LinePatch],
        actor: ActorDep,
        now: Now,
        settings: SettingsDep,
    ) -> LineOut:
        return await lines.update_line(actor, now, iccid, data.given(), settings.timezone)

    @post("/{iccid:str}/move", status_code=200, responses=errors(400, 401, 403, 404, 409, 422))
    async def move(
        self,
        iccid: Iccid,
        data: JSONBody[LineMoveIn],
        actor: ActorDep,
        now: Now,
        settings: SettingsDep,
    ) -> LineOut:
        return await lines.move_line(actor, now, iccid, data.device, settings.timezone)
