"""Return to service: a kind's steps (admin), the processing queue and steps (staff), and the
maintenance log (staff open a repair; admins resolve it)."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, get, post, put
from litestar.params import Parameter

from ..circulation import KINDS
from ..circulation.permissions import Action
from ..schemas.base import MaintenanceOut
from ..schemas.inventory import (
    DeviceProcessingOut,
    MaintenanceList,
    ProcessingQueue,
    RepairIn,
    RepairResolvedOut,
    RepairResolveIn,
    StepsDoneIn,
    StepsDoneOut,
    StepsIn,
    StepsOut,
)
from ..services.inventory import maintenance, processing
from .common import ActorDep, Filter, Id, JSONBody, Limit, Now, Offset, code, errors
from .security import requires

__all__ = ["ProcessingController", "ServiceStepController"]

Barcode = Annotated[str, Parameter(max_length=200)]
KindParam = Annotated[Literal[KINDS], Parameter(description="device kind")]  # type: ignore[valid-type]


class ServiceStepController(Controller):
    path = "/api/policies"
    tags = ["policies"]

    @get(
        "/{kind:str}/steps", guards=[requires(Action.POLICY_READ)], responses=errors(401, 403, 422)
    )
    async def get_steps(self, kind: KindParam) -> StepsOut:
        return await processing.get_steps(kind)

    @put(
        "/{kind:str}/steps",
        guards=[requires(Action.POLICY_EDIT)],
        responses=errors(400, 401, 403, 422),
    )
    async def put_steps(
        self, kind: KindParam, data: JSONBody[StepsIn], actor: ActorDep, now: Now
    ) -> StepsOut:
        """Replace the kind's return-to-service steps, in order ([] for none)."""
        return await processing.put_steps(actor, now, kind, data.steps)


class ProcessingController(Controller):
    path = "/api"
    tags = ["return to service"]

    @get("/processing", guards=[requires(Action.PROCESSING_WORK)], responses=errors(401, 403, 422))
    async def queue(
        self, branch: Filter = None, kind: Filter = None, limit: Limit = 50, offset: Offset = 0
    ) -> ProcessingQueue:
        return await processing.list_processing(
            branch=branch, kind=kind, limit=limit, offset=offset
        )

    @get(
        "/devices/{barcode:str}/processing",
        guards=[requires(Action.PROCESSING_WORK)],
        responses=errors(401, 403, 404, 422),
    )
    async def device_processing(self, barcode: Barcode) -> DeviceProcessingOut:
        return await processing.processing_of_device(code(barcode, "barcode"))

    @post(
        "/devices/{barcode:str}/processing/steps",
        guards=[requires(Action.PROCESSING_WORK)],
        status_code=200,
        responses=errors(400, 401, 403, 404, 409, 422),
    )
    async def steps_done(
        self, barcode: Barcode, data: JSONBody[StepsDoneIn], actor: ActorDep, now: Now
    ) -> StepsDoneOut:
        return await processing.complete_steps(actor, now, code(barcode, "barcode"), data.steps)

    @get(
        "/devices/{barcode:str}/maintenance",
        guards=[requires(Action.DEVICE_READ)],
        responses=errors(401, 403, 404, 422),
    )
    async def maintenance_log(self, barcode: Barcode) -> MaintenanceList:
        return await maintenance.list_maintenance(code(barcode, "barcode"))

    @post(
        "/devices/{barcode:str}/maintenance",
        guards=[requires(Action.REPAIR_OPEN)],
        responses=errors(400, 401, 403, 404, 409, 422),
    )
    async def open_repair(
        self, barcode: Barcode, data: JSONBody[RepairIn], actor: ActorDep, now: Now
    ) -> MaintenanceOut:
        """Damage found: the device goes in_repair with a maintenance record."""
        return await maintenance.open_repair(
            actor, now, code(barcode, "barcode"), problem=data.problem, cost=data.cost
        )

    @post(
        "/maintenance/{maintenance_id:int}/resolve",
        status_code=200,
        guards=[requires(Action.REPAIR_RESOLVE)],
        responses=errors(400, 401, 403, 404, 409, 422),
    )
    async def resolve(
        self, maintenance_id: Id, data: JSONBody[RepairResolveIn], actor: ActorDep, now: Now
    ) -> RepairResolvedOut:
        return await maintenance.resolve_repair(
            actor,
            now,
            maintenance_id,
            resolution=data.resolution,
            cost=data.cost,
            retire=data.retire,
        )
