"""Kits: a device's parts (admin edits, staff read) and a loan's kit checklist (staff)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.params import Parameter

from ..circulation import PartStatus
from ..circulation.permissions import Action
from ..schemas.inventory import (
    KitPartIn,
    KitPartList,
    KitPartOut,
    KitPartPatch,
    LoanKitOut,
    PartOutcomesIn,
)
from ..services.inventory import kit_parts, kits
from .common import ActorDep, Id, JSONBody, Now, code, errors
from .security import requires

__all__ = ["KitController", "LoanKitController"]

Barcode = Annotated[str, Parameter(max_length=200)]


class KitController(Controller):
    path = "/api/devices"
    tags = ["kits"]

    @get(
        "/{barcode:str}/kit",
        guards=[requires(Action.DEVICE_READ)],
        responses=errors(401, 403, 404, 422),
    )
    async def list_(self, barcode: Barcode) -> KitPartList:
        return await kit_parts.kit_of_device(code(barcode, "barcode"))

    @post(
        "/{barcode:str}/kit",
        guards=[requires(Action.DEVICE_EDIT)],
        responses=errors(400, 401, 403, 404, 409, 422),
    )
    async def add(
        self, barcode: Barcode, data: JSONBody[KitPartIn], actor: ActorDep, now: Now
    ) -> KitPartOut:
        part_barcode = code(data.barcode, "barcode") if data.barcode is not None else None
        return await kit_parts.add_part(
            actor,
            now,
            code(barcode, "barcode"),
            name=data.name,
            cost=data.replacement_cost,
            part_barcode=part_barcode,
        )

    @patch(
        "/{barcode:str}/kit/{part_id:int}",
        guards=[requires(Action.DEVICE_EDIT)],
        responses=errors(400, 401, 403, 404, 409, 422),
    )
    async def update(
        self, barcode: Barcode, part_id: Id, data: JSONBody[KitPartPatch], actor: ActorDep, now: Now
    ) -> KitPartOut:
        changes = data.given()
        if changes.get("barcode") is not None:
            changes["barcode"] = code(changes["barcode"], "barcode")
        return await kit_parts.update_part(actor, now, code(barcode, "barcode"), part_id, changes)

    @delete(
        "/{barcode:str}/kit/{part_id:int}",
        status_code=200,
        guards=[requires(Action.DEVICE_EDIT)],
        responses=errors(401, 403, 404, 409, 422),
    )
    async def remove(self, barcode: Barcode, part_id: Id, actor: ActorDep, now: Now) -> KitPartOut:
        return await kit_parts.update_part(
            actor, now, code(barcode, "barcode"), part_id, {"status": PartStatus.REMOVED}
        )


class LoanKitController(Controller):
    path = "/api/loans"
    tags = ["kits"]

    @get(
        "/{loan_id:int}/kit",
        guards=[requires(Action.LOAN_READ)],
        responses=errors(401, 403, 404, 422),
    )
    async def checklist(self, loan_id: Id) -> LoanKitOut:
        return await kits.loan_kit(loan_id)

    @post(
        "/{loan_id:int}/kit",
        status_code=200,
        guards=[requires(Action.CHECKIN)],
        responses=errors(400, 401, 403, 404, 409, 422),
    )
    async def record(
        self, loan_id: Id, data: JSONBody[PartOutcomesIn], actor: ActorDep, now: Now
    ) -> LoanKitOut:
        """Record or correct the parts' outcomes of a returned loan (missing and damaged are
        charged to the loan; a part listed as returned has its charge waived)."""
        return await kits.record_part_outcomes(
            actor,
            now,
            loan_id,
            missing=data.missing,
            damaged=data.damaged,
            returned=data.returned,
        )
