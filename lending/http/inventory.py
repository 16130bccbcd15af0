"""Branches, closed dates, devices and loan policies."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from litestar import Controller, delete, get, patch, post, put
from litestar.params import Parameter

from ..circulation import KINDS, FieldError, Invalid
from ..circulation.permissions import Action, require
from ..schemas.base import (
    BranchClosureOut,
    BranchIn,
    BranchList,
    BranchOut,
    ClosureIn,
    DeviceIn,
    DeviceList,
    DeviceOut,
    DevicePatch,
    PolicyIn,
    PolicyList,
    PolicyOut,
)
from ..services.inventory import devices
from ..services.library import branches, policies
from .common import ActorDep, Filter, JSONBody, Limit, Now, Offset, SettingsDep, code, errors
from .security import requires

__all__ = ["BranchController", "DeviceController", "PolicyController"]

BranchCode = Annotated[str, Parameter(max_length=64)]
Barcode = Annotated[str, Parameter(max_length=200)]


class BranchController(Controller):
    path = "/api/branches"
    tags = ["branches"]

    @post("/", guards=[requires(Action.BRANCH_EDIT)], responses=errors(400, 401, 403, 409, 422))
    async def create(
        self, data: JSONBody[BranchIn], actor: ActorDep, now: Now, settings: SettingsDep
    ) -> BranchOut:
        given = data.given()
        return await branches.create_branch(
            actor,
            now,
            code=data.code,
            name=data.name,
            timezone=given.get("timezone") or settings.timezone,
        )

    @get("/", guards=[requires(Action.POLICY_READ)], responses=errors(401, 403, 422))
    async def list_(self, limit: Limit = 50, offset: Offset = 0) -> BranchList:
        return await branches.list_branches(limit, offset)

    @post(
        "/{branch_code:str}/closures",
        guards=[requires(Action.BRANCH_EDIT)],
        responses=errors(400, 401, 403, 404, 409, 422),
    )
    async def add_closure(
        self, branch_code: BranchCode, data: JSONBody[ClosureIn], actor: ActorDep, now: Now
    ) -> BranchClosureOut:
        return await branches.add_closure(
            actor, now, code=branch_code, day=data.date, reason=data.reason
        )

    @delete(
        "/{branch_code:str}/closures/{day:str}",
        guards=[requires(Action.BRANCH_EDIT)],
        status_code=200,
        responses=errors(401, 403, 404, 422),
    )
    async def remove_closure(
        self,
        branch_code: BranchCode,
        day: Annotated[str, Parameter(max_length=10, description="YYYY-MM-DD")],
        actor: ActorDep,
        now: Now,
    ) -> BranchClosureOut:
        """The branch is open again on that day. Due dates already set do not move."""
        try:
            closed = date.fromisoformat(day)
        except ValueError:
            raise Invalid(FieldError("day", "must be a date, YYYY-MM-DD")) from None
        return await branches.remove_closure(actor, now, code=branch_code, day=closed)


class DeviceController(Controller):
    path = "/api/devices"
    tags = ["devices"]

    @post("/", guards=[requires(Action.DEVICE_EDIT)], responses=errors(400, 401, 403, 409, 422))
    async def create(self, data: JSONBody[DeviceIn], actor: ActorDep, now: Now) -> DeviceOut:
        values = data.given()
        values["barcode"] = code(data.barcode, "barcode")
        return await devices.create_device(actor, now, values)

    @get("/", guards=[requires(Action.DEVICE_READ)], responses=errors(401, 403, 422))
    async def list_(
        self,
        now: Now,
        status: Filter = None,
        kind: Filter = None,
        branch: Filter = None,
        q: Filter = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> DeviceList:
        return await devices.list_devices(
            now, status=status, kind=kind, branch=branch, q=q, limit=limit, offset=offset
        )

    @get(
        "/{barcode:str}",
        guards=[requires(Action.DEVICE_READ)],
        responses=errors(401, 403, 404, 422),
    )
    async def get_one(self, barcode: Barcode, now: Now) -> DeviceOut:
        return await devices.get_device(code(barcode, "barcode"), now)

    @patch(
        "/{barcode:str}",
        guards=[requires(Action.DEVICE_EDIT)],
        responses=errors(400, 401, 403, 404, 409, 422),
        description="A `status` in the body also needs device.status.",
    )
    async def update(
        self, barcode: Barcode, data: JSONBody[DevicePatch], actor: ActorDep, now: Now
    ) -> DeviceOut:
        changes = data.given()
        if "status" in changes:  # retiring, marking lost, ... is more than editing
            require(actor.role, Action.DEVICE_STATUS)
        if "barcode" in changes:  # re-barcoding (the device then needs a new label)
            changes["barcode"] = code(changes["barcode"], "barcode")
        return await devices.update_device(actor, now, code(barcode, "barcode"), changes)


class PolicyController(Controller):
    path = "/api/policies"
    tags = ["policies"]

    @get("/", guards=[requires(Action.POLICY_READ)], responses=errors(401, 403))
    async def list_(self) -> PolicyList:
        items = await policies.list_policies()
        return PolicyList(items=items, total=len(items))

    @put("/{kind:str}", guards=[requires(Action.POLICY_EDIT)], responses=errors(400, 401, 403, 422))
    async def put_(
        self,
        kind: Annotated[Literal[KINDS], Parameter(description="device kind")],  # type: ignore[valid-type]
        data: JSONBody[PolicyIn],
        actor: ActorDep,
        now: Now,
    ) -> PolicyOut:
        return await policies.put_policy(actor, now, kind, data.given())
