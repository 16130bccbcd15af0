"""Admin console: carrier lines (SIM cards) and data plans by hand. Add and edit plans; add and
edit lines (ICCID, phone number, carrier, plan, and the hotspot's IMEI when installed); install
a line in a device, swap the line a device holds, take it out, retire it. The forms read with the
API's own structs (lending.schemas.lines) and go through lending.services.lines.service_lines, so they accept and
refuse exactly what the API and the import do, and every change is audited."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from ...circulation import LendingError, LineStatus, NotFound
from ...circulation.codes import Code
from ...circulation.permissions import Action
from ...schemas.base import code
from ...schemas.lines import LineIn, LinePatch, PlanIn, PlanOut, PlanPatch
from ...services.lines import service_lines as lines
from ..pages import read_form, render, requires_page, see_other
from ..sessions import page_actor
from ..struct_form import errors_of, form_values

__all__ = ["AdminLineController", "AdminPlanController"]

LIST_SIZE = 200
PLAN_FIELDS = ["carrier", "name", "monthly_cost", "data_cap_gb", "term_end"]
LINE_NEW = ["iccid", "phone_number", "carrier", "plan", "device", "imei", "status"]
LINE_EDIT = ["phone_number", "carrier", "plan", "status"]
LABELS = {
    "carrier": "Carrier",
    "name": "Plan name",
    "monthly_cost": "Monthly cost",
    "data_cap_gb": "Data cap in GB (empty: unlimited)",
    "term_end": "Term ends (optional)",
    "iccid": "ICCID (SIM card number)",
    "phone_number": "Phone number",
    "plan": "Data plan",
    "device": "Install in device (barcode, optional)",
    "imei": "Hotspot IMEI (optional)",
    "status": "Status",
}
HINTS = {
    "monthly_cost": "In dollars, for example 15.00.",
    "term_end": "As YYYY-MM-DD, for example 2027-06-30.",
    "iccid": "19 or 20 digits starting 89, as printed on the SIM card; spaces are fine.",
    "phone_number": "With the country code, for example +1 555 010 0100.",
    "imei": "15 digits, recorded on the device the line goes in.",
}
# The badge of a line's status on the pages.
LINE_TONES = {LineStatus.ACTIVE: "ok", LineStatus.SUSPENDED: "warn"}
# A refusal by its code, shown next to the field it is about.
CONFLICT_FIELDS = {
    "duplicate_iccid": "iccid",
    "duplicate_phone_number": "phone_number",
    "device_has_line": "device",
}


def _refused(exc: LendingError, fields: list[str]) -> dict[str, str]:
    field = CONFLICT_FIELDS.get(getattr(exc, "code", ""))
    if field in fields:
        return {field: exc.detail}
    return errors_of(exc, fields)


def _plan_id(raw: str) -> int:
    if raw.isascii() and raw.isdigit() and len(raw) <= 10 and 1 <= int(raw) <= 2**31 - 1:
        return int(raw)
    raise NotFound(f"No data plan with id {raw[:20]!r}.", Code.PLAN_NOT_FOUND)


def _line_url(iccid: str) -> str:
    return "/admin/lines/" + quote(iccid, safe="")


async def plan_options() -> list[tuple[str, str]]:
    page = await lines.list_plans(limit=500)
    return [("", "No plan")] + [(str(p.id), f"{p.carrier}: {p.name}") for p in page.items]


def _kept(form: dict[str, str], fields: list[str]) -> dict[str, str]:
    return {k: form.get(k, "") for k in fields}


class AdminPlanController(Controller):
    path = "/admin/plans"
    guards = [requires_page(Action.LINE_MANAGE)]
    include_in_schema = False

    async def _form(self, request: Request, **context: Any) -> Template:
        status = context.pop("status", 200)
        plan = context.get("plan")
        return render(
            request,
            "admin/line_form.html",
            status=status,
            what="plan",
            title=f"Edit data plan {plan.name}" if plan else "Add a data plan",
            action=f"/admin/plans/{plan.id}/edit" if plan else "/admin/plans/new",
            back="/admin/lines#h-plans",
            fields=PLAN_FIELDS,
            labels=LABELS,
            hints=HINTS,
            **context,
        )

    @get("/new")
    async def new_form(self, request: Request) -> Template:
        return await self._form(request, mode="new", values={}, errors={})

    @post("/new", status_code=200)
    async def create(self, request: Request) -> Template | Redirect:
        form = await read_form(request)
        values, errors = form_values(form, PlanIn, PLAN_FIELDS)
        if values.get("monthly_cost") is None and "monthly_cost" not in errors:
            values["monthly_cost"] = 0
        if not errors:
            try:
                plan = await lines.create_plan(
                    await page_actor(request), request.app.state.clock(), values
                )
            except LendingError as exc:
                errors = errors_of(exc, PLAN_FIELDS)
            else:
                return see_other(
                    request, "/admin/lines#h-plans", flash=f"Data plan {plan.name} added."
                )
        return await self._form(
            request, mode="new", values=_kept(form, PLAN_FIELDS), errors=errors, status=422
        )

    async def _plan(self, plan_id: int) -> PlanOut:
        for plan in (await lines.list_plans(limit=500)).items:
            if plan.id == plan_id:
                return plan
        raise NotFound(f"No data plan with id {plan_id}.", Code.PLAN_NOT_FOUND)

    @get("/{plan_id:str}/edit")
    async def edit_form(self, request: Request, plan_id: FromPath[str]) -> Template:
        plan = await self._plan(_plan_id(plan_id))
        shown = {k: getattr(plan, k) for k in PLAN_FIELDS}
        values = {k: "" if v is None else str(v) for k, v in shown.items()}
        if plan.monthly_cost is not None:
            values["monthly_cost"] = f"{plan.monthly_cost:.2f}"
        return await self._form(request, mode="edit", plan=plan, values=values, errors={})

    @post("/{plan_id:str}/edit", status_code=200)
    async def update(self, request: Request, plan_id: FromPath[str]) -> Template | Redirect:
        plan = await self._plan(_plan_id(plan_id))
        form = await read_form(request)
        values, errors = form_values(form, PlanPatch, PLAN_FIELDS)
        if "monthly_cost" in values and values["monthly_cost"] is None:
            values["monthly_cost"] = 0
        if not errors:
            try:
                await lines.update_plan(
                    await page_actor(request), request.app.state.clock(), plan.id, values
                )
            except LendingError as exc:
                errors = errors_of(exc, PLAN_FIELDS)
            else:
                return see_other(request, "/admin/lines#h-plans", flash="Data plan saved.")
        return await self._form(
            request,
            mode="edit",
            plan=plan,
            values=_kept(form, PLAN_FIELDS),
            errors=errors,
            status=422,
        )


class AdminLineController(Controller):
    path = "/admin/lines"
    guards = [requires_page(Action.LINE_MANAGE)]
    include_in_schema = False

    @get("/")
    async def index(self, request: Request) -> Template:
        zone = request.app.state.settings.timezone
        return render(
            request,
            "admin/lines.html",
            tones=LINE_TONES,
            lines=await lines.list_lines(zone, limit=LIST_SIZE),
            plans=await lines.list_plans(limit=LIST_SIZE),
        )

    async def _form(self, request: Request, **context: Any) -> Template:
        status = context.pop("status", 200)
        mode = context["mode"]
        line = context.get("line")
        return render(
            request,
            "admin/line_form.html",
            status=status,
            what="line",
            title=f"Edit line {line.iccid}" if line else "Add a line",
            action=_line_url(line.iccid) + "/edit" if line else "/admin/lines/new",
            back=_line_url(line.iccid) if line else "/admin/lines",
            fields=LINE_NEW if mode == "new" else LINE_EDIT,
            labels=LABELS,
            hints=HINTS,
            plan_options=await plan_options(),
            status_options=[(s, s) for s in lines.LINE_STATUSES],
            **context,
        )

    @get("/new")
    async def new_form(self, request: Request) -> Template:
        device = (request.query_params.get("device") or "")[:64]
        values = {"status": LineStatus.ACTIVE.value, "device": device}
        return await self._form(request, mode="new", values=values, errors={})

    @post("/new", status_code=200)
    async def create(self, request: Request) -> Template | Redirect:
        form = await read_form(request)
        values, errors = form_values(form, LineIn, LINE_NEW)
        if values.get("device"):
            try:
                values["device"] = code(values["device"], "device")
            except LendingError as exc:
                errors.update(errors_of(exc, LINE_NEW))
        values["status"] = values.get("status") or LineStatus.ACTIVE
        if not errors:
            zone = request.app.state.settings.timezone
            try:
                line = await lines.create_line(
                    await page_actor(request), request.app.state.clock(), values, zone
                )
            except LendingError as exc:
                errors = _refused(exc, LINE_NEW)
            else:
                where = f" and installed in {line.device}" if line.device else ""
                return see_other(
                    request, _line_url(line.iccid), flash=f"Line {line.iccid} added{where}."
                )
        return await self._form(
            request, mode="new", values=_kept(form, LINE_NEW), errors=errors, status=422
        )

    @get("/install")
    async def install_form(self, request: Request) -> Template:
        """Install a line in a device (or swap the one it holds): pick a spare line."""
        device = code(request.query_params.get("device") or "", "device")
        return await self._install(request, device, errors={})

    async def _install(
        self, request: Request, device: str, *, errors: dict[str, str], status: int = 200
    ) -> Template:
        zone = request.app.state.settings.timezone
        spare = await lines.list_lines(zone, unassigned=True, limit=LIST_SIZE)
        current = await lines.list_lines(zone, limit=1, device=device)
        return render(
            request,
            "admin/line_install.html",
            status=status,
            device=device,
            current=current.items[0] if current.items else None,
            spare=[line for line in spare.items if line.status != LineStatus.CANCELLED],
            errors=errors,
        )

    @post("/install", status_code=200)
    async def install(self, request: Request) -> Template | Redirect:
        form = await read_form(request)
        device = code(form.get("device", ""), "device")
        iccid = form.get("iccid", "").strip()
        if not iccid:
            return await self._install(
                request, device, errors={"iccid": "Choose a line."}, status=422
            )
        try:
            line = await lines.swap_line(
                await page_actor(request),
                request.app.state.clock(),
                device,
                iccid[:40],
                request.app.state.settings.timezone,
            )
        except LendingError as exc:
            if exc.status == 404:
                exc = LendingError(exc.detail)
            return await self._install(
                request, device, errors=errors_of(exc, ["iccid"], default="iccid"), status=422
            )
        return see_other(
            request,
            "/admin/devices/" + quote(device, safe=""),
            flash=f"Line {line.iccid} installed in {device}.",
        )

    @get("/{iccid:str}")
    async def show(self, request: Request, iccid: FromPath[str]) -> Template:
        return await self._show(request, iccid)

    async def _show(
        self, request: Request, iccid: str, *, error: str | None = None, status: int = 200
    ) -> Template:
        line = await lines.get_line(iccid[:40], request.app.state.settings.timezone)
        return render(
            request,
            "admin/line.html",
            status=status,
            line=line,
            tones=LINE_TONES,
            retired=line.status == LineStatus.CANCELLED,
            error=error,
        )

    @get("/{iccid:str}/edit")
    async def edit_form(self, request: Request, iccid: FromPath[str]) -> Template:
        line = await lines.get_line(iccid[:40], request.app.state.settings.timezone)
        values = {
            "phone_number": line.phone_number,
            "carrier": line.carrier,
            "plan": str(line.plan or ""),
            "status": line.status,
        }
        return await self._form(request, mode="edit", line=line, values=values, errors={})

    @post("/{iccid:str}/edit", status_code=200)
    async def update(self, request: Request, iccid: FromPath[str]) -> Template | Redirect:
        zone = request.app.state.settings.timezone
        line = await lines.get_line(iccid[:40], zone)
        form = await read_form(request)
        values, errors = form_values(form, LinePatch, LINE_EDIT)
        if not errors:
            changes = {k: v for k, v in values.items() if v != getattr(line, k, None)}
            try:
                await lines.update_line(
                    await page_actor(request),
                    request.app.state.clock(),
                    line.iccid,
                    changes,
                    zone,
                )
            except LendingError as exc:
                errors = _refused(exc, LINE_EDIT)
            else:
                return see_other(request, _line_url(line.iccid), flash="Line saved.")
        return await self._form(
            request,
            mode="edit",
            line=line,
            values=_kept(form, LINE_EDIT),
            errors=errors,
            status=422,
        )

    @post("/{iccid:str}/move", status_code=200)
    async def move(self, request: Request, iccid: FromPath[str]) -> Template | Redirect:
        """Into another device (`device`), or out of any device (empty)."""
        form = await read_form(request)
        zone = request.app.state.settings.timezone
        try:
            target = form.get("device", "").strip()
            device = code(target, "device") if target else None
            line = await lines.move_line(
                await page_actor(request), request.app.state.clock(), iccid[:40], device, zone
            )
        except LendingError as exc:
            if exc.status == 404 and "line" in exc.code:
                raise
            return await self._show(request, iccid, error=exc.detail, status=exc.status)
        flash = f"Line {line.iccid} " + (
            f"moved into {line.device}." if line.device else "taken out of its device."
        )
        return see_other(request, _line_url(line.iccid), flash=flash)

    @post("/{iccid:str}/retire", status_code=200)
    async def retire(self, request: Request, iccid: FromPath[str]) -> Template | Redirect:
        zone = request.app.state.settings.timezone
        try:
            line = await lines.retire_line(
                await page_actor(request), request.app.state.clock(), iccid[:40], zone
            )
        except LendingError as exc:
            if exc.status == 404:
                raise
            return await self._show(request, iccid, error=exc.detail, status=exc.status)
        return see_other(
            request, _line_url(line.iccid), flash=f"Line {line.iccid} retired (cancelled)."
        )
