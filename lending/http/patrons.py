"""Patrons (staff side)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.params import Parameter

from ..services import patrons
from .common import ActorDep, Filter, JSONBody, Limit, Now, Offset, code, errors
from .schemas import PatronIn, PatronList, PatronOut, PatronPatch
from .security import staff_only

__all__ = ["PatronController"]

Card = Annotated[str, Parameter(max_length=200)]


class PatronController(Controller):
    path = "/api/patrons"
    tags = ["patrons"]
    guards = [staff_only]

    @post("/", responses=errors(400, 401, 403, 409, 422))
    async def create(self, data: JSONBody[PatronIn], actor: ActorDep, now: Now) -> PatronOut:
        values = data.given()
        values["card_number"] = code(data.card_number, "card_number")
        return await patrons.create_patron(actor, now, values)

    @get("/", responses=errors(401, 403, 422))
    async def list_(self, q: Filter = None, limit: Limit = 50, offset: Offset = 0) -> PatronList:
        return await patrons.list_patrons(q, limit, offset)

    @get("/{card_number:str}", responses=errors(401, 403, 404, 422))
    async def get_one(self, card_number: Card, now: Now) -> PatronOut:
        return await patrons.get_patron(code(card_number, "card_number"), now)

    @patch("/{card_number:str}", responses=errors(400, 401, 403, 404, 422))
    async def update(
        self, card_number: Card, data: JSONBody[PatronPatch], actor: ActorDep, now: Now
    ) -> PatronOut:
        return await patrons.update_patron(
            actor, now, code(card_number, "card_number"), data.given()
        )
