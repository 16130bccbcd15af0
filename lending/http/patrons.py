"""Patrons (staff side)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.params import Parameter

from ..circulation.permissions import Action
from ..schemas.base import PatronIn, PatronList, PatronOut, PatronPatch
from ..services.people import patrons
from .common import ActorDep, Filter, JSONBody, Limit, Now, Offset, code, errors
from .security import requires

__all__ = ["PatronController"]

EDITS = (
    Action.PATRON_EDIT,
    Action.PATRON_SET_PIN,
    Action.PATRON_BLOCK,
    Action.PATRON_UNBLOCK,
)
Card = Annotated[str, Parameter(max_length=200)]


class PatronController(Controller):
    path = "/api/patrons"
    tags = ["patrons"]

    @post("/", guards=[requires(Action.PATRON_CREATE)], responses=errors(400, 401, 403, 409, 422))
    async def create(self, data: JSONBody[PatronIn], actor: ActorDep, now: Now) -> PatronOut:
        values = data.given()
        values["card_number"] = code(data.card_number, "card_number")
        return await patrons.create_patron(actor, now, values)

    @get("/", guards=[requires(Action.PATRON_READ)], responses=errors(401, 403, 422))
    async def list_(self, q: Filter = None, limit: Limit = 50, offset: Offset = 0) -> PatronList:
        return await patrons.list_patrons(q, limit, offset)

    @get(
        "/{card_number:str}",
        guards=[requires(Action.PATRON_READ)],
        responses=errors(401, 403, 404, 422),
    )
    async def get_one(self, card_number: Card, now: Now) -> PatronOut:
        return await patrons.get_patron(code(card_number, "card_number"), now)

    @patch(
        "/{card_number:str}",
        guards=[requires(*EDITS)],
        responses=errors(400, 401, 403, 404, 422),
        description="Contact details need patron.edit, a new `pin` patron.set_pin, "
        "`blocked: true` patron.block and `blocked: false` patron.unblock (403 otherwise, and "
        "nothing is changed).",
    )
    async def update(
        self, card_number: Card, data: JSONBody[PatronPatch], actor: ActorDep, now: Now
    ) -> PatronOut:
        return await patrons.update_patron(
            actor, now, code(card_number, "card_number"), data.given()
        )
