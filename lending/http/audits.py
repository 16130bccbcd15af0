"""Shelf audits and the "not seen for N days" report (admin)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.params import Parameter, QueryParameter

from ..circulation.permissions import Action
from ..schemas.inventory import (
    AuditClosedOut,
    AuditCloseIn,
    AuditIn,
    AuditItemList,
    AuditList,
    AuditOut,
    NotSeenList,
    ScanIn,
    ScanOut,
)
from ..services.inventory import shelf_audits as audits
from ..services.inventory import sightings
from .common import ActorDep, Filter, Id, JSONBody, Limit, Now, Offset, code, errors
from .security import requires

__all__ = ["AuditController", "SightingController"]


class AuditController(Controller):
    path = "/api/audits"
    tags = ["inventory"]
    guards = [requires(Action.AUDIT_RUN)]

    @post("/", responses=errors(400, 401, 403, 409, 422))
    async def start(self, data: JSONBody[AuditIn], actor: ActorDep, now: Now) -> AuditOut:
        return await audits.start_audit(actor, now, branch_code=data.branch, location=data.location)

    @get("/", responses=errors(401, 403, 422))
    async def list_(
        self, branch: Filter = None, status: Filter = None, limit: Limit = 50, offset: Offset = 0
    ) -> AuditList:
        return await audits.list_audits(branch=branch, status=status, limit=limit, offset=offset)

    @get("/{audit_id:int}", responses=errors(401, 403, 404, 422))
    async def get_one(self, audit_id: Id) -> AuditOut:
        return await audits.get_audit(audit_id)

    @post("/{audit_id:int}/scans", responses=errors(400, 401, 403, 404, 409, 422))
    async def scan(
        self, audit_id: Id, data: JSONBody[ScanIn], actor: ActorDep, now: Now
    ) -> ScanOut:
        return await audits.scan(actor, now, audit_id, code(data.barcode, "barcode"))

    @get("/{audit_id:int}/items", responses=errors(401, 403, 404, 422))
    async def items(
        self,
        audit_id: Id,
        list_: Annotated[str | None, QueryParameter(name="list", max_length=32)] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> AuditItemList:
        """One live list (found, other_branch, on_loan, unknown, duplicate, missing), or
        every scan in scan order."""
        return await audits.list_audit_items(audit_id, list_, limit, offset)

    @post("/{audit_id:int}/close", status_code=200, responses=errors(400, 401, 403, 404, 409, 422))
    async def close(
        self, audit_id: Id, data: JSONBody[AuditCloseIn], actor: ActorDep, now: Now
    ) -> AuditClosedOut:
        return await audits.close_audit(
            actor, now, audit_id, mark_missing_lost=data.mark_missing_lost, reason=data.reason
        )

    @delete("/{audit_id:int}", status_code=200, responses=errors(401, 403, 404, 409, 422))
    async def cancel(self, audit_id: Id, actor: ActorDep, now: Now) -> AuditOut:
        return await audits.cancel_audit(actor, now, audit_id)


class SightingController(Controller):
    path = "/api/inventory"
    tags = ["inventory"]
    guards = [requires(Action.DEVICE_READ)]

    @get("/not-seen", responses=errors(401, 403, 422))
    async def not_seen(
        self,
        now: Now,
        days: Annotated[int, Parameter(ge=0, le=3650, description="not seen for this many days")],
        branch: Filter = None,
        kind: Filter = None,
        status: Filter = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> NotSeenList:
        return await sightings.not_seen(
            now, days=days, branch=branch, kind=kind, status=status, limit=limit, offset=offset
        )
