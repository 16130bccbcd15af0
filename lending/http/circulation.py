"""Checkout, checkin, renewal, loans and holds (staff side)."""

from __future__ import annotations

from litestar import Controller, delete, get, post

from ..circulation.permissions import Action
from ..schemas.base import (
    CheckinIn,
    CheckinReply,
    CheckoutIn,
    HoldIn,
    HoldList,
    HoldOut,
    LoanList,
    LoanReply,
)
from ..services.circulation import holds, loans
from ..services.circulation import transactions as circulation
from ..services.library.policies import valid_kind
from .common import ActorDep, Filter, Id, JSONBody, Limit, Now, Offset, code, errors
from .security import requires

__all__ = ["CirculationController", "HoldController"]


class CirculationController(Controller):
    path = "/api"
    tags = ["circulation"]

    @post(
        "/checkout",
        guards=[requires(Action.CHECKOUT, checked_in_service=True)],
        responses=errors(400, 401, 403, 404, 409, 422),
    )
    async def checkout(self, data: JSONBody[CheckoutIn], actor: ActorDep, now: Now) -> LoanReply:
        return await circulation.check_out(
            actor,
            now,
            card_number=code(data.patron, "patron"),
            barcode=code(data.device, "device"),
            service_point=data.service_point,
            program=data.program,
        )

    @post(
        "/checkin",
        guards=[requires(Action.CHECKIN, checked_in_service=True)],
        status_code=200,
        responses=errors(400, 401, 403, 404, 409, 422),
    )
    async def checkin(self, data: JSONBody[CheckinIn], actor: ActorDep, now: Now) -> CheckinReply:
        return await circulation.check_in(
            actor,
            now,
            barcode=code(data.device, "device"),
            missing_parts=data.missing_parts,
            damaged_parts=data.damaged_parts,
            damage=data.damage,
        )

    @post(
        "/loans/{loan_id:int}/renew",
        guards=[requires(Action.RENEW, checked_in_service=True)],
        status_code=200,
        responses=errors(401, 403, 404, 409, 422),
    )
    async def renew(self, loan_id: Id, actor: ActorDep, now: Now) -> LoanReply:
        return await circulation.renew(actor, now, loan_id)

    @get("/loans", guards=[requires(Action.LOAN_READ)], responses=errors(401, 403, 422))
    async def list_loans(
        self,
        now: Now,
        status: Filter = None,
        patron: Filter = None,
        device: Filter = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> LoanList:
        return await loans.list_loans(
            now,
            status=status,
            patron=code(patron, "patron") if patron else None,
            device=code(device, "device") if device else None,
            limit=limit,
            offset=offset,
        )


class HoldController(Controller):
    path = "/api/holds"
    tags = ["holds"]
    guards = [requires(Action.HOLD_MANAGE)]

    @post("/", responses=errors(400, 401, 403, 404, 409, 422))
    async def place(self, data: JSONBody[HoldIn], actor: ActorDep, now: Now) -> HoldOut:
        return await holds.place_hold(
            actor,
            now,
            card_number=code(data.patron, "patron"),
            kind=valid_kind(data.kind),
            branch_code=data.branch,
            pickup_point=data.pickup_point,
        )

    @get("/", responses=errors(401, 403, 422))
    async def list_(
        self,
        status: Filter = None,
        kind: Filter = None,
        branch: Filter = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> HoldList:
        return await holds.list_holds(
            status=status, kind=kind, branch=branch, limit=limit, offset=offset
        )

    @delete("/{hold_id:int}", status_code=200, responses=errors(401, 403, 404, 409, 422))
    async def cancel(self, hold_id: Id, actor: ActorDep, now: Now) -> HoldOut:
        return await holds.cancel_hold(actor, now, hold_id)
