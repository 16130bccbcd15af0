"""Admin console, a device's page: its kit (add, edit, remove a part, set a part present again)
and its maintenance log (open a repair, resolve it). The forms post here; every change goes
through lending.services.inventory.kit_parts / maintenance, so it is validated and audited as in the API.
A refused form shows the device page again (422) with each error next to its field."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from ...circulation import LendingError, NotFound, PartStatus
from ...circulation.codes import Code
from ...circulation.permissions import Action
from ...schemas.base import MAX_ID, code
from ...schemas.inventory import KitPartIn, KitPartPatch, RepairIn, RepairResolveIn
from ...services.inventory import kit_parts, maintenance
from ..pages import read_form, requires_page, see_other
from ..sessions import page_actor
from ..struct_form import errors_of, form_values

__all__ = ["AdminKitController", "kit_context"]

PART_FIELDS = ["name", "replacement_cost", "barcode"]
REPAIR_FIELDS = ["problem", "cost"]
RESOLVE_FIELDS = ["resolution", "cost"]


async def kit_context(barcode: str) -> dict[str, Any]:
    """What the device page shows of its kit and maintenance log."""
    kit = await kit_parts.kit_of_device(barcode)
    log = await maintenance.list_maintenance(barcode)
    open_repair = next((m for m in log.items if m.resolved_at is None), None)
    return {
        "kit": kit.items,
        "repairs": log.items,
        "open_repair": open_repair,
        "part_short": (PartStatus.MISSING, PartStatus.DAMAGED),  # may be set present again
        "part_present": PartStatus.PRESENT,
        "part_removed": PartStatus.REMOVED,
    }


def _url(barcode: str, anchor: str = "") -> str:
    return f"/admin/devices/{quote(barcode, safe='')}" + (f"#{anchor}" if anchor else "")


def _part_id(raw: int) -> int:
    if not 1 <= raw <= MAX_ID:
        raise NotFound("There is no such kit part.", Code.PART_NOT_FOUND)
    return raw


def _part_values(form: dict[str, str], struct: type) -> tuple[dict[str, Any], dict[str, str]]:
    values, errors = form_values(form, struct, PART_FIELDS)
    if values.get("barcode") is not None:
        try:
            values["barcode"] = code(values["barcode"], "barcode")
        except LendingError as exc:
            errors.update(errors_of(exc, PART_FIELDS))
    return values, errors


def _part_refusal(exc: LendingError) -> dict[str, str]:
    if exc.code == "duplicate_barcode":
        return {"barcode": exc.detail}
    if exc.code == "duplicate_part":
        return {"name": exc.detail}
    return errors_of(exc, PART_FIELDS)


class AdminKitController(Controller):
    path = "/admin/devices"
    include_in_schema = False

    async def _again(self, request: Request, barcode: str, **context: Any) -> Template:
        from .devices import device_page

        return await device_page(request, barcode, status=422, **context)

    @post("/{barcode:str}/kit", status_code=200, guards=[requires_page(Action.DEVICE_EDIT)])
    async def add_part(self, request: Request, barcode: FromPath[str]) -> Template | Redirect:
        barcode = code(barcode, "barcode")
        form = await read_form(request)
        values, errors = _part_values(form, KitPartIn)
        if not errors:
            try:
                part = await kit_parts.add_part(
                    await page_actor(request),  # type: ignore[arg-type]
                    request.app.state.clock(),
                    barcode,
                    name=values["name"],
                    cost=values["replacement_cost"],
                    part_barcode=values["barcode"],
                )
            except LendingError as exc:
                if exc.status == 404:
                    raise
                errors = _part_refusal(exc)
            else:
                return see_other(
                    request, _url(barcode, "h-kit"), flash=f"Part {part.name} added to the kit."
                )
        kept = {k: form.get(k, "") for k in PART_FIELDS}
        return await self._again(request, barcode, part_errors=errors, part_values=kept)

    @post(
        "/{barcode:str}/kit/{part_id:int}",
        status_code=200,
        guards=[requires_page(Action.DEVICE_EDIT)],
    )
    async def edit_part(
        self, request: Request, barcode: FromPath[str], part_id: FromPath[int]
    ) -> Template | Redirect:
        barcode = code(barcode, "barcode")
        part_id = _part_id(part_id)
        form = await read_form(request)
        values, errors = _part_values(form, KitPartPatch)
        if not errors:
            try:
                part = await kit_parts.update_part(
                    await page_actor(request),  # type: ignore[arg-type]
                    request.app.state.clock(),
                    barcode,
                    part_id,
                    values,
                )
            except LendingError as exc:
                if exc.status == 404:
                    raise
                errors = _part_refusal(exc)
            else:
                return see_other(request, _url(barcode, "h-kit"), flash=f"Part {part.name} saved.")
        kept = {k: form.get(k, "") for k in PART_FIELDS}
        return await self._again(
            request, barcode, edit_part=part_id, edit_errors=errors, edit_values=kept
        )

    @post(
        "/{barcode:str}/kit/{part_id:int}/status",
        status_code=200,
        guards=[requires_page(Action.DEVICE_EDIT)],
    )
    async def part_status(
        self, request: Request, barcode: FromPath[str], part_id: FromPath[int]
    ) -> Template | Redirect:
        """Remove a part from the kit, or set a missing/damaged part present again."""
        barcode = code(barcode, "barcode")
        part_id = _part_id(part_id)
        form = await read_form(request)
        status = form.get("status", "")
        if status not in (PartStatus.PRESENT, PartStatus.REMOVED):
            return await self._again(request, barcode, kit_error="Choose Remove or Present again.")
        try:
            part = await kit_parts.update_part(
                await page_actor(request),  # type: ignore[arg-type]
                request.app.state.clock(),
                barcode,
                part_id,
                {"status": PartStatus(status)},
            )
        except LendingError as exc:
            if exc.status == 404:
                raise
            return await self._again(request, barcode, kit_error=exc.detail)
        done = "removed from the kit" if status == PartStatus.REMOVED else "is present again"
        return see_other(request, _url(barcode, "h-kit"), flash=f"Part {part.name} {done}.")

    @post("/{barcode:str}/maintenance", status_code=200, guards=[requires_page(Action.REPAIR_OPEN)])
    async def open_repair(self, request: Request, barcode: FromPath[str]) -> Template | Redirect:
        barcode = code(barcode, "barcode")
        form = await read_form(request)
        values, errors = form_values(form, RepairIn, REPAIR_FIELDS)
        if not errors:
            try:
                await maintenance.open_repair(
                    await page_actor(request),  # type: ignore[arg-type]
                    request.app.state.clock(),
                    barcode,
                    problem=values["problem"],
                    cost=values["cost"],
                )
            except LendingError as exc:
                if exc.status == 404:
                    raise
                errors = errors_of(exc, REPAIR_FIELDS)
            else:
                return see_other(
                    request,
                    _url(barcode, "h-repairs"),
                    flash=f"Device {barcode} is in repair.",
                )
        kept = {k: form.get(k, "") for k in REPAIR_FIELDS}
        return await self._again(request, barcode, repair_errors=errors, repair_values=kept)

    @post(
        "/{barcode:str}/maintenance/{record:int}/resolve",
        status_code=200,
        guards=[requires_page(Action.REPAIR_RESOLVE)],
    )
    async def resolve_repair(
        self, request: Request, barcode: FromPath[str], record: FromPath[int]
    ) -> Template | Redirect:
        barcode = code(barcode, "barcode")
        form = await read_form(request)
        values, errors = form_values(form, RepairResolveIn, RESOLVE_FIELDS)
        retire = form.get("retire", "") != ""
        log = await maintenance.list_maintenance(barcode)
        if not any(m.id == record for m in log.items):
            raise NotFound(f"Device {barcode} has no repair {record}.", Code.MAINTENANCE_NOT_FOUND)
        if not errors:
            try:
                reply = await maintenance.resolve_repair(
                    await page_actor(request),  # type: ignore[arg-type]
                    request.app.state.clock(),
                    record,
                    resolution=values["resolution"],
                    cost=values["cost"],
                    retire=retire,
                )
            except LendingError as exc:
                errors = errors_of(exc, RESOLVE_FIELDS)
            else:
                status = reply.status.replace("_", " ")
                return see_other(
                    request,
                    _url(barcode, "h-repairs"),
                    flash=f"Repair resolved: device {barcode} is {status}.",
                )
        kept: dict[str, Any] = {k: form.get(k, "") for k in RESOLVE_FIELDS}
        kept["retire"] = retire
        return await self._again(request, barcode, resolve_errors=errors, resolve_values=kept)
