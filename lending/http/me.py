"""Resident self-service: only the logged-in patron's own data."""

from __future__ import annotations

from litestar import Controller, delete, get, post

from ..circulation.permissions import Action
from ..schemas.base import HoldList, HoldOut, LoanList, LoanReply, MyHoldIn, PatronOut
from ..services.circulation import holds, loans
from ..services.circulation import transactions as circulation
from ..services.library.policies import valid_kind
from ..services.people import patrons
from .common import ActorDep, Id, JSONBody, Limit, Now, Offset, errors
from .security import requires

__all__ = ["MeController"]


class MeController(Controller):
    path = "/api/me"
    tags = ["resident self-service"]
    guards = [requires(Action.SELF_SERVICE)]

    @get("/", responses=errors(401, 403, 404))
    async def me(self, actor: ActorDep, now: Now) -> PatronOut:
        return await patrons.get_patron_by_id(actor.patron_id, now)

    @get("/loans", responses=errors(401, 403, 422))
    async def my_loans(
        self, actor: ActorDep, now: Now, limit: Limit = 50, offset: Offset = 0
    ) -> LoanList:
        return await loans.list_loans(now, patron_id=actor.patron_id, limit=limit, offset=offset)

    @post("/loans/{loan_id:int}/renew", status_code=200, responses=errors(401, 403, 404, 409, 422))
    async def renew(self, loan_id: Id, actor: ActorDep, now: Now) -> LoanReply:
        return await circulation.renew(actor, now, loan_id, patron_id=actor.patron_id)

    @get("/holds", responses=errors(401, 403, 422))
    async def my_holds(self, actor: ActorDep, limit: Limit = 50, offset: Offset = 0) -> HoldList:
        return await holds.list_holds(patron_id=actor.patron_id, limit=limit, offset=offset)

    @post("/holds", responses=errors(400, 401, 403, 404, 409, 422))
    async def place(self, data: JSONBody[MyHoldIn], actor: ActorDep, now: Now) -> HoldOut:
        card = actor.name.removeprefix("patron:")
        return await holds.place_hold(
            actor, now, card_number=card, kind=valid_kind(data.kind), branch_code=data.branch
        )

    @delete("/holds/{hold_id:int}", status_code=200, responses=errors(401, 403, 404, 409, 422))
    async def cancel(self, hold_id: Id, actor: ActorDep, now: Now) -> HoldOut:
        return await holds.cancel_hold(actor, now, hold_id, patron_id=actor.patron_id)
