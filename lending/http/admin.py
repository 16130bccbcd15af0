"""Admin-only: the audit trail and staff accounts. Also the health check."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import QueryParameter

from ..database import current_engine
from ..services import audit, staff
from .common import ActorDep, Filter, JSONBody, Limit, Now, Offset, SettingsDep, errors
from .problems import problem
from .schemas import EventList, HealthOut, StaffIn, StaffList, StaffOut
from .security import admin_only

__all__ = ["EventController", "StaffController", "health"]

# The query key is `actor`, but a handler parameter of that name would receive the logged-in
# Actor (an app-wide dependency) instead of the query value.
ActorFilter = Annotated[
    str | None, QueryParameter(name="actor", max_length=200, description="who acted (username)")
]


class EventController(Controller):
    path = "/api/events"
    tags = ["audit"]
    guards = [admin_only]

    @get("/", responses=errors(401, 403, 422))
    async def list_(
        self,
        settings: SettingsDep,
        subject: Filter = None,
        actor_name: ActorFilter = None,
        action: Filter = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> EventList:
        return await audit.list_events(
            timezone=settings.timezone,
            subject=subject,
            actor=actor_name,
            action=action,
            limit=limit,
            offset=offset,
        )


class StaffController(Controller):
    path = "/api/staff"
    tags = ["staff"]
    guards = [admin_only]

    @get("/", responses=errors(401, 403))
    async def list_(self) -> StaffList:
        items = await staff.list_staff()
        return {"items": items, "total": len(items)}  # type: ignore[return-value]

    @post("/", responses=errors(400, 401, 403, 409, 422))
    async def add(self, data: JSONBody[StaffIn], actor: ActorDep, now: Now) -> StaffOut:
        return await staff.add_staff(
            actor, now, username=data.username, role=data.role, password=data.password
        )


@get("/api/health", tags=["health"], responses=errors(503), security=[{}])
async def health() -> HealthOut:
    try:
        await current_engine().run_ddl("SELECT 1")
    except Exception:
        return problem(503, "database_unavailable", "The database does not answer.")  # type: ignore[return-value]
    return {"status": "ok", "database": "ok"}  # type: ignore[return-value]
