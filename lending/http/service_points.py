"""Service points: branch desks, bookmobiles, mobile labs, partner sites and lockers, with their
weekly hours, a vehicle's stops and its schedule of visits; transfers of devices between them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from litestar import Controller, delete, get, patch, post
from litestar.params import Parameter

from ..circulation.permissions import Action
from ..schemas.base import MAX_ID
from ..schemas.service_points import (
    ReceivedOut,
    ReceiveIn,
    ScheduleOut,
    ServicePointIn,
    ServicePointList,
    ServicePointOut,
    ServicePointPatch,
    StopCancellationIn,
    StopCancellationOut,
    StopIn,
    StopOut,
    TransferIn,
    TransferList,
    TransferOut,
)
from ..services.inventory import transfers
from ..services.library import service_points
from .common import ActorDep, Filter, JSONBody, Limit, Now, Offset, SettingsDep, code, errors
from .security import requires

__all__ = ["ServicePointController", "TransferController"]

PointCode = Annotated[str, Parameter(max_length=64)]
StopId = Annotated[int, Parameter(ge=1, le=MAX_ID)]


class ServicePointController(Controller):
    path = "/api/service-points"
    tags = ["service points"]

    @post(
        "/",
        guards=[requires(Action.SERVICE_POINT_EDIT)],
        responses=errors(400, 401, 403, 409, 422),
    )
    async def create(
        self, data: JSONBody[ServicePointIn], actor: ActorDep, now: Now
    ) -> ServicePointOut:
        """A bookmobile, mobile lab, partner site or locker under a parent branch. A branch's
        own desk (type `branch`) comes with the branch."""
        return await service_points.create_service_point(
            actor,
            now,
            code=data.code,
            name=data.name,
            type=data.type,
            branch=data.branch,
            address=data.address,
            timezone=data.timezone,
            hours=data.hours,
        )

    @get("/", guards=[requires(Action.POLICY_READ)], responses=errors(401, 403, 422))
    async def list_(
        self,
        type: Filter = None,
        branch: Filter = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> ServicePointList:
        return await service_points.list_service_points(
            type=type, branch=branch, limit=limit, offset=offset
        )

    @get(
        "/{point_code:str}",
        guards=[requires(Action.POLICY_READ)],
        responses=errors(401, 403, 404, 422),
    )
    async def get_one(self, point_code: PointCode) -> ServicePointOut:
        return await service_points.get_service_point(point_code)

    @patch(
        "/{point_code:str}",
        guards=[requires(Action.SERVICE_POINT_EDIT)],
        responses=errors(400, 401, 403, 404, 422),
    )
    async def change(
        self, point_code: PointCode, data: JSONBody[ServicePointPatch], actor: ActorDep, now: Now
    ) -> ServicePointOut:
        return await service_points.update_service_point(actor, now, point_code, data.given())

    @post(
        "/{point_code:str}/stops",
        guards=[requires(Action.SERVICE_POINT_EDIT)],
        responses=errors(400, 401, 403, 404, 422),
    )
    async def add_stop(
        self, point_code: PointCode, data: JSONBody[StopIn], actor: ActorDep, now: Now
    ) -> StopOut:
        """A vehicle's regular stop in one season (every `every_weeks` weeks on `weekday`)."""
        return await service_points.add_stop(actor, now, point_code, **data.given())

    @delete(
        "/{point_code:str}/stops/{stop_id:int}",
        guards=[requires(Action.SERVICE_POINT_EDIT)],
        status_code=200,
        responses=errors(401, 403, 404, 422),
    )
    async def remove_stop(
        self, point_code: PointCode, stop_id: StopId, actor: ActorDep, now: Now
    ) -> StopOut:
        return await service_points.remove_stop(actor, now, point_code, stop_id)

    @post(
        "/{point_code:str}/stops/{stop_id:int}/cancellations",
        guards=[requires(Action.SERVICE_POINT_EDIT)],
        responses=errors(400, 401, 403, 404, 409, 422),
    )
    async def cancel_visit(
        self,
        point_code: PointCode,
        stop_id: StopId,
        data: JSONBody[StopCancellationIn],
        actor: ActorDep,
        now: Now,
    ) -> StopCancellationOut:
        """One visit of the stop will not happen."""
        return await service_points.cancel_visit(
            actor, now, point_code, stop_id, day=data.date, reason=data.reason
        )

    @get(
        "/{point_code:str}/schedule",
        guards=[requires(Action.POLICY_READ)],
        responses=errors(401, 403, 404, 422),
    )
    async def schedule(
        self,
        point_code: PointCode,
        now: Now,
        settings: SettingsDep,
        start: Annotated[date | None, Parameter(description="first day (default today)")] = None,
        end: Annotated[
            date | None, Parameter(description="last day (default: 8 weeks from start)")
        ] = None,
    ) -> ScheduleOut:
        """The vehicle's visits from `start` to `end` (at most 400 days), cancelled ones
        marked. The default start is today in the library's time zone."""
        first = start or now.astimezone(ZoneInfo(settings.timezone)).date()
        return await service_points.schedule(
            point_code, first, end or first + timedelta(days=7 * 8 - 1)
        )


class TransferController(Controller):
    path = "/api/transfers"
    tags = ["service points"]
    guards = [requires(Action.TRANSFER)]

    @post("/", responses=errors(400, 401, 403, 404, 409, 422))
    async def send(self, data: JSONBody[TransferIn], actor: ActorDep, now: Now) -> TransferOut:
        """Send a device on the shelf to another service point: it is `in_transit` until it is
        received there."""
        return await transfers.send_device(actor, now, code(data.device, "device"), to=data.to)

    @post("/receive", status_code=200, responses=errors(400, 401, 403, 404, 409, 422))
    async def receive(self, data: JSONBody[ReceiveIn], actor: ActorDep, now: Now) -> ReceivedOut:
        """Scan a device in at its destination: it goes on the hold shelf for the first
        patron waiting there for its kind, else on the shelf."""
        return await transfers.receive_device(actor, now, code(data.device, "device"), at=data.at)

    @get("/", responses=errors(401, 403, 422))
    async def list_(
        self,
        status: Filter = None,
        to: Filter = None,
        device: Filter = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> TransferList:
        """Newest first; `?status=in_transit&to=CODE` lists what a service point waits for,
        `?device=BARCODE` one device's moves."""
        return await transfers.list_transfers(
            status=status, to=to, device=device, limit=limit, offset=offset
        )
