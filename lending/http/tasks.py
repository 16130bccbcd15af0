"""Staff work lists: carrier tasks (manual gateway), failing carrier actions, and the notices
for patrons to call because they have neither email nor phone."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import Parameter

from ..circulation import CarrierActionStatus
from ..circulation.permissions import Action
from ..schemas.lines import CarrierActionList, CarrierActionOut
from ..schemas.notices import CalledOut, CallList
from ..services.lines import carrier_actions as carrier
from ..services.notices import call_list
from .common import ActorDep, Id, Limit, Now, Offset, SettingsDep, errors
from .security import requires

__all__ = ["CallListController", "TaskController"]

ActionStatus = Annotated[
    str | None,
    Parameter(
        pattern=f"^({'|'.join(CarrierActionStatus)})$",
        description="task (default: open staff tasks), pending, done, failed or cancelled",
    ),
]


class TaskController(Controller):
    path = "/api/tasks"
    tags = ["service lines"]
    guards = [requires(Action.LINE_MANAGE)]

    @get("/", responses=errors(401, 403, 422))
    async def list_(
        self,
        settings: SettingsDep,
        status: ActionStatus = CarrierActionStatus.TASK.value,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> CarrierActionList:
        return await carrier.list_tasks(status, limit, offset, timezone=settings.timezone)

    @post("/{task_id:int}/done", status_code=200, responses=errors(401, 403, 404, 409, 422))
    async def done(
        self, task_id: Id, actor: ActorDep, now: Now, settings: SettingsDep
    ) -> CarrierActionOut:
        return await carrier.complete_task(task_id, actor, now, timezone=settings.timezone)

    @get("/failing", responses=errors(401, 403, 422))
    async def failing(
        self, settings: SettingsDep, limit: Limit = 50, offset: Offset = 0
    ) -> CarrierActionList:
        return await carrier.list_failing_lines(limit, offset, timezone=settings.timezone)

    @post("/{task_id:int}/retry", status_code=200, responses=errors(401, 403, 404, 409, 422))
    async def retry(
        self, task_id: Id, actor: ActorDep, now: Now, settings: SettingsDep
    ) -> CarrierActionOut:
        return await carrier.retry_action(task_id, actor, now, timezone=settings.timezone)


class CallListController(Controller):
    path = "/api/notices"
    tags = ["notices"]
    guards = [requires(Action.NOTICE_CALL)]

    @get("/calls", responses=errors(401, 403, 422))
    async def calls(
        self, settings: SettingsDep, now: Now, limit: Limit = 50, offset: Offset = 0
    ) -> CallList:
        return await call_list.list_call_list(limit, offset, settings=settings, now=now)

    @post("/{notice_id:int}/called", status_code=200, responses=errors(401, 403, 404, 409, 422))
    async def called(
        self, notice_id: Id, actor: ActorDep, now: Now, settings: SettingsDep
    ) -> CalledOut:
        return await call_list.mark_called(notice_id, actor, now, settings=settings)
