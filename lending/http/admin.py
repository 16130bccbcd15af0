"""Admin-only: the audit trail and staff accounts. Also the health check."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, patch, post, put
from litestar.params import Parameter, QueryParameter

from ..circulation.codes import Code
from ..circulation.permissions import Action
from ..database import current_engine
from ..schemas.base import (
    EventList,
    HealthOut,
    StaffIn,
    StaffList,
    StaffOut,
    StaffPasswordIn,
    StaffPatch,
)
from ..services._common import audit
from ..services.operations import health as operations_health
from ..services.operations.health import HealthDetails
from ..services.people import staff
from .auth import presented_token
from .common import ActorDep, Filter, JSONBody, Limit, Now, Offset, SettingsDep, errors
from .problems import problem
from .security import requires

__all__ = ["EventController", "StaffController", "health", "health_details"]

# The query key is `actor`, but a handler parameter of that name would receive the logged-in
# Actor (an app-wide dependency) instead of the query value.
Username = Annotated[str, Parameter(min_length=1, max_length=64)]
ActorFilter = Annotated[
    str | None, QueryParameter(name="actor", max_length=200, description="who acted (username)")
]


RequestIdFilter = Annotated[
    str | None,
    QueryParameter(
        max_length=64, description="the request that wrote them (X-Request-ID, problem bodies)"
    ),
]


class EventController(Controller):
    path = "/api/events"
    tags = ["audit"]
    guards = [requires(Action.EVENT_READ)]

    @get("/", responses=errors(401, 403, 422))
    async def list_(
        self,
        settings: SettingsDep,
        subject: Filter = None,
        actor_name: ActorFilter = None,
        action: Filter = None,
        request_id: RequestIdFilter = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> EventList:
        return await audit.list_events(
            timezone=settings.timezone,
            subject=subject,
            actor=actor_name,
            action=action,
            request_id=request_id,
            limit=limit,
            offset=offset,
        )


class StaffController(Controller):
    path = "/api/staff"
    tags = ["staff"]
    guards = [requires(Action.STAFF_MANAGE)]

    @get("/", responses=errors(401, 403))
    async def list_(self) -> StaffList:
        items = await staff.list_staff()
        return StaffList(items=items, total=len(items))

    @post("/", responses=errors(400, 401, 403, 409, 422))
    async def add(self, data: JSONBody[StaffIn], actor: ActorDep, now: Now) -> StaffOut:
        return await staff.add_staff(
            actor,
            now,
            username=data.username,
            role=data.role,
            password=data.password,
            partner=data.partner,
        )

    @patch("/{username:str}", responses=errors(400, 401, 403, 404, 409, 422))
    async def set_active(
        self, username: Username, data: JSONBody[StaffPatch], actor: ActorDep, now: Now
    ) -> StaffOut:
        """`{"active": false}` deactivates the account (its sessions end at once); `true`
        reactivates it. An admin cannot deactivate their own account (409)."""
        return await staff.set_staff_active(actor, now, username, data.active)

    @put("/{username:str}/password", responses=errors(400, 401, 403, 404, 422))
    async def reset_password(
        self,
        request: Request,
        username: Username,
        data: JSONBody[StaffPasswordIn],
        actor: ActorDep,
        now: Now,
    ) -> StaffOut:
        """A new password: the account's other sessions end (its own, when an admin changes
        their own password, all but the token of this request) and its failed logins are
        cleared."""
        return await staff.reset_staff_password(
            actor, now, username, data.password, token=presented_token(request)
        )


@get(
    "/api/health/details",
    tags=["health"],
    guards=[requires(Action.HEALTH_READ)],
    responses=errors(401, 403),
)
async def health_details(request: Request, settings: SettingsDep) -> HealthDetails:
    """The instance in detail (admins): database and migration state, whether this instance
    leads the jobs and when each last succeeded, mail/SMS/carrier delivery set up and failing
    counts, the version. `GET /api/health` stays the cheap check for load balancers."""
    scheduler = getattr(request.app.state, "scheduler", None)
    leads = scheduler.leadership.is_leader if scheduler is not None else None
    return await operations_health.health_details(settings, leads_jobs=leads)


@get("/api/health", tags=["health"], responses=errors(503), security=[{}])
async def health() -> HealthOut:
    try:
        await current_engine().run_ddl("SELECT 1")
    except Exception:
        return problem(503, Code.DATABASE_UNAVAILABLE, "The database does not answer.")  # type: ignore[return-value]
    return HealthOut(status="ok", database="ok")
