"""Carrier service lines and data plans (admin)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, get, patch, post
from litestar.params import FromQuery, Parameter
from msgspec import Meta

from ..circulation.permissions import Action
from ..services import lines
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
from .schemas import Input, Out
from .security import requires

__all__ = ["LineController", "LineIn", "LinePatch", "PlanController", "PlanIn", "PlanPatch"]

Words = Annotated[str, Meta(min_length=1, max_length=100)]
Number = Annotated[str, Meta(min_length=1, max_length=40)]
Cost = Annotated[float, Meta(ge=0, le=100_000)]
Cap = Annotated[int, Meta(ge=1, le=100_000)]
Iccid = Annotated[str, Parameter(max_length=40)]


class PlanIn(Input):
    carrier: Words
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    monthly_cost: Cost = 0
    data_cap_gb: Cap | None = None
    term_end: date | None = None


class PlanPatch(Input):
    carrier: Words | msgspec.UnsetType = msgspec.UNSET
    name: Annotated[str, Meta(min_length=1, max_length=200)] | msgspec.UnsetType = msgspec.UNSET
    monthly_cost: Cost | msgspec.UnsetType = msgspec.UNSET
    data_cap_gb: Cap | None | msgspec.UnsetType = msgspec.UNSET
    term_end: date | None | msgspec.UnsetType = msgspec.UNSET


class PlanOut(Out):
    id: int
    carrier: str
    name: str
    monthly_cost: float
    data_cap_gb: int | None
    term_end: str | None


class PlanList(Out):
    items: list[PlanOut]
    total: int


class LineIn(Input):
    iccid: Number
    phone_number: Number
    carrier: Words
    plan: Annotated[int, Meta(ge=1, le=MAX_ID)] | None = None
    device: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    status: Annotated[str, Meta(max_length=16)] = "active"
    imei: Annotated[str, Meta(min_length=1, max_length=40)] | None = None  # set on `device`


class LinePatch(Input):
    phone_number: Number | msgspec.UnsetType = msgspec.UNSET
    carrier: Words | msgspec.UnsetType = msgspec.UNSET
    plan: Annotated[int, Meta(ge=1, le=MAX_ID)] | None | msgspec.UnsetType = msgspec.UNSET
    status: Annotated[str, Meta(max_length=16)] | msgspec.UnsetType = msgspec.UNSET


class LineMoveIn(Input):
    device: Annotated[str, Meta(min_length=1, max_length=64)] | None


class MoveOut(Out):
    from_device: str | None
    to_device: str | None
    at: str
    by: str


class LineOut(Out):
    iccid: str
    phone_number: str
    carrier: str
    plan: int | None
    plan_name: str | None
    status: str
    device: str | None
    moves: list[MoveOut] | msgspec.UnsetType = msgspec.UNSET


class LineList(Out):
    items: list[LineOut]
    total: int


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
