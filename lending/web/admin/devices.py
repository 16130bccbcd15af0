"""Admin console: the device list (filters, search, pages), a device's page with its whole
history, the add and edit forms, and status changes (repair, retire, lost, back to available).
Every change goes through lending.services.inventory.devices, so it is validated and audited as in the API.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from msgspec import structs
from msgspec.structs import asdict

from ...circulation import (
    KINDS,
    OVERDUE,
    TRANSFERABLE,
    DeviceStatus,
    LendingError,
    LoanStatus,
    TransferStatus,
)
from ...circulation.permissions import Action
from ...circulation.rules import DEVICE_STATUSES
from ...schemas.base import DeviceIn, DeviceOut, DevicePatch, code
from ...services.inventory import devices as device_service
from ...services.inventory import transfers
from ...services.inventory.device_history import device_history
from ...services.library import service_points
from ...services.library.branches import list_branches
from ..pages import read_form, render, requires_page, see_other
from ..sessions import page_actor
from ..struct_form import errors_of, form_values, struct_fields
from .kits import kit_context

__all__ = ["AdminDeviceController", "device_filters", "device_page"]

PAGE_SIZE = 50
MAX_FILTER = 200

# Form fields in the order shown; a field the API's struct does not have is left out, so the
# forms follow the API (for example the Wi-Fi fields, when the API takes them).
ADD_ORDER = (
    "barcode", "kind", "model", "serial_number", "branch", "imei", "replacement_cost",
    "location", "acquired_on", "notes", "wifi_name", "wifi_password",
)  # fmt: skip
EDIT_ORDER = (
    "kind", "model", "serial_number", "branch", "imei", "replacement_cost", "location",
    "acquired_on", "notes", "needs_label", "wifi_name", "wifi_password",
)  # fmt: skip
LABELS = {
    "barcode": "Barcode",
    "kind": "Kind",
    "model": "Model",
    "serial_number": "Serial number",
    "branch": "Branch",
    "imei": "IMEI (hotspots, optional)",
    "replacement_cost": "Replacement cost",
    "location": "Shelf or location (optional)",
    "notes": "Notes",
    "acquired_on": "Acquired on (optional)",
    "needs_label": "Needs a new label",
    "wifi_name": "Wi-Fi name (hotspots, optional)",
    "wifi_password": "Wi-Fi password (hotspots, optional)",
}
HINTS = {
    "barcode": "As printed on the label or scanned.",
    "imei": "15 digits.",
    "acquired_on": "As YYYY-MM-DD: reports count the device in service from then.",
    "replacement_cost": "In dollars, for example 129.99.",
    "wifi_name": "Printed on the hotspot's label when set.",
}
# What an admin may set by hand, with the button that does it.
STATUS_ACTIONS = {
    DeviceStatus.IN_REPAIR: "Send to repair",
    DeviceStatus.RETIRED: "Retire",
    DeviceStatus.LOST: "Mark lost",
    DeviceStatus.AVAILABLE: "Back to available",
}
STATUS_DONE = {
    DeviceStatus.IN_REPAIR: "is in repair",
    DeviceStatus.RETIRED: "is retired",
    DeviceStatus.LOST: "is marked lost",
    DeviceStatus.AVAILABLE: "is available again",
}
FINAL_STATUSES = (DeviceStatus.RETIRED, DeviceStatus.LOST)  # their buttons are red
LATE_LOAN_STATUSES = (OVERDUE, LoanStatus.LOST)


def _fields(order: tuple[str, ...], struct: type) -> list[str]:
    present = set(struct_fields(struct))
    return [name for name in order if name in present]


def add_fields() -> list[str]:
    return _fields(ADD_ORDER, DeviceIn)


def edit_fields() -> list[str]:
    return _fields(EDIT_ORDER, DevicePatch)


async def branch_options() -> list[tuple[str, str]]:
    page = await list_branches(limit=500)
    return [(b.code, f"{b.name} ({b.code})") for b in page.items]


def device_filters(query: Any) -> dict[str, Any]:
    """The list filters from the query string; a value that cannot match is dropped (a filter
    is a search, not a form: no error page for a hand-edited address)."""

    def text(name: str) -> str:
        value = query.get(name) or ""
        return value.strip()[:MAX_FILTER] if isinstance(value, str) else ""

    filters: dict[str, Any] = {
        "kind": text("kind") if text("kind") in KINDS else "",
        "status": text("status") if text("status") in DEVICE_STATUSES else "",
        "branch": text("branch"),
        "needs_label": text("needs_label") if text("needs_label") in ("yes", "no") else "",
        "q": text("q"),
    }
    return filters


def _page_number(query: Any) -> int:
    raw = query.get("page") or "1"
    return int(raw) if isinstance(raw, str) and raw.isdigit() and 0 < len(raw) < 7 else 1


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


async def device_page(
    request: Request,
    barcode: str,
    *,
    error: str | None = None,
    status: int = 200,
    **forms: Any,
) -> Template:
    """The device's page; `forms` are a refused kit or repair form's values and errors
    (lending.web.admin_kits)."""
    history = await device_history(barcode, request.app.state.clock())
    current = history.device.status
    actions = [(s, label) for s, label in STATUS_ACTIONS.items() if s != current]
    moves = await transfers.list_transfers(device=barcode, limit=1)
    travelling = next((t for t in moves.items if t.status == TransferStatus.IN_TRANSIT), None)
    points = await service_points.list_service_points(limit=500)
    return render(
        request,
        "admin/device.html",
        status=status,
        error=error,
        actions=actions,
        labels=LABELS,
        final_statuses=FINAL_STATUSES,
        overdue=OVERDUE,
        late_loan_statuses=LATE_LOAN_STATUSES,
        travelling=travelling,
        transferable=current in TRANSFERABLE,
        point_options=[(p.code, f"{p.name} ({p.code})") for p in points.items if p.active],
        **structs.asdict(history),
        **await kit_context(barcode),
        **forms,
    )


class AdminDeviceController(Controller):
    path = "/admin/devices"
    include_in_schema = False

    @get("/", guards=[requires_page(Action.DEVICE_READ)])
    async def list_(self, request: Request) -> Template:
        query = request.query_params
        filters = device_filters(query)
        page = _page_number(query)
        needs = {"yes": True, "no": False}.get(filters["needs_label"])
        result = await device_service.list_devices(
            request.app.state.clock(),
            status=filters["status"] or None,
            kind=filters["kind"] or None,
            branch=filters["branch"] or None,
            q=filters["q"] or None,
            needs_label=needs,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        pages = max(1, -(-result.total // PAGE_SIZE))
        kept = {k: v for k, v in filters.items() if v}
        return render(
            request,
            "admin/devices.html",
            devices=result.items,
            total=result.total,
            page=page,
            pages=pages,
            filters=filters,
            filtered=bool(kept),
            prev_url="?" + urlencode({**kept, "page": page - 1}) if page > 1 else None,
            next_url="?" + urlencode({**kept, "page": page + 1}) if page < pages else None,
            kind_options=[(k, k) for k in KINDS],
            status_options=[(s, s.replace("_", " ")) for s in DEVICE_STATUSES],
            branches=await branch_options(),
        )

    async def _form(
        self,
        request: Request,
        *,
        mode: str,
        values: dict[str, Any],
        errors: dict[str, str],
        device: DeviceOut | None = None,
        status: int = 200,
    ) -> Template:
        return render(
            request,
            "admin/device_form.html",
            status=status,
            mode=mode,
            fields=add_fields() if mode == "new" else edit_fields(),
            labels=LABELS,
            hints=HINTS,
            values=values,
            errors=errors,
            device=device,
            kind_options=[(k, k) for k in KINDS],
            branches=await branch_options(),
        )

    @get("/new", guards=[requires_page(Action.DEVICE_EDIT)])
    async def new_form(self, request: Request) -> Template:
        return await self._form(request, mode="new", values={"kind": "hotspot"}, errors={})

    @post("/new", status_code=200, guards=[requires_page(Action.DEVICE_EDIT)])
    async def create(self, request: Request) -> Template | Redirect:
        form = await read_form(request)
        fields = add_fields()
        values, errors = form_values(form, DeviceIn, fields)
        if "barcode" in values:
            try:
                values["barcode"] = code(values["barcode"], "barcode")
            except LendingError as exc:
                errors.update(errors_of(exc, fields))
        if not errors:
            actor = await page_actor(request)
            try:
                device = await device_service.create_device(
                    actor,  # type: ignore[arg-type]
                    request.app.state.clock(),
                    values,
                )
            except LendingError as exc:
                errors = errors_of(exc, fields)
                if getattr(exc, "code", "") == "duplicate_barcode":
                    errors = {"barcode": exc.detail}
            else:
                return see_other(
                    request,
                    "/admin/devices/" + quote(device.barcode, safe=""),
                    flash=f"Device {device.barcode} added.",
                )
        kept = {k: form.get(k, "") for k in fields}
        return await self._form(request, mode="new", values=kept, errors=errors, status=422)

    @get("/{barcode:str}", guards=[requires_page(Action.DEVICE_READ)])
    async def show(self, request: Request, barcode: FromPath[str]) -> Template:
        return await self._page(request, code(barcode, "barcode"))

    async def _page(
        self, request: Request, barcode: str, *, error: str | None = None, status: int = 200
    ) -> Template:
        return await device_page(request, barcode, error=error, status=status)

    @get("/{barcode:str}/edit", guards=[requires_page(Action.DEVICE_EDIT)])
    async def edit_form(self, request: Request, barcode: FromPath[str]) -> Template:
        device = await device_service.get_device(
            code(barcode, "barcode"), request.app.state.clock()
        )
        values = {name: _shown(getattr(device, name, None)) for name in edit_fields()}
        values["needs_label"] = bool(device.needs_label)  # type: ignore[assignment]
        return await self._form(request, mode="edit", values=values, errors={}, device=device)

    @post("/{barcode:str}/edit", status_code=200, guards=[requires_page(Action.DEVICE_EDIT)])
    async def update(self, request: Request, barcode: FromPath[str]) -> Template | Redirect:
        barcode = code(barcode, "barcode")
        now = request.app.state.clock()
        device = await device_service.get_device(barcode, now)
        form = await read_form(request)
        fields = edit_fields()
        values, errors = form_values(form, DevicePatch, fields, checkboxes=["needs_label"])
        if not errors:
            shown = asdict(device)
            changes = {k: v for k, v in values.items() if k not in shown or shown[k] != v}
            if not changes:
                return see_other(request, f"/admin/devices/{quote(barcode, safe='')}",
                                 flash="Nothing changed.")  # fmt: skip
            try:
                await device_service.update_device(
                    await page_actor(request),  # type: ignore[arg-type]
                    now,
                    barcode,
                    changes,
                )
            except LendingError as exc:
                errors = errors_of(exc, fields)
            else:
                return see_other(
                    request,
                    f"/admin/devices/{quote(barcode, safe='')}",
                    flash=f"Device {barcode} saved.",
                )
        kept: dict[str, Any] = {k: form.get(k, "") for k in fields}
        kept["needs_label"] = form.get("needs_label", "") != ""
        return await self._form(
            request, mode="edit", values=kept, errors=errors, device=device, status=422
        )

    @post("/{barcode:str}/transfer", status_code=200, guards=[requires_page(Action.TRANSFER)])
    async def send(self, request: Request, barcode: FromPath[str]) -> Template | Redirect:
        """Send the device to another service point (it is in transit until received)."""
        barcode = code(barcode, "barcode")
        to = (await read_form(request)).get("to", "").strip()[:64]
        if not to:
            return await self._page(
                request, barcode, error="Choose where to send the device.", status=422
            )
        try:
            await transfers.send_device(
                await page_actor(request),  # type: ignore[arg-type]
                request.app.state.clock(),
                barcode,
                to=to,
            )
        except LendingError as exc:
            if exc.status == 404:
                raise
            return await self._page(request, barcode, error=exc.detail, status=exc.status)
        return see_other(
            request,
            f"/admin/devices/{quote(barcode, safe='')}",
            flash=f"Device {barcode} is on its way to {to}: scan it in there with Check in.",
        )

    @post("/{barcode:str}/status", status_code=200, guards=[requires_page(Action.DEVICE_STATUS)])
    async def change_status(self, request: Request, barcode: FromPath[str]) -> Template | Redirect:
        barcode = code(barcode, "barcode")
        form = await read_form(request)
        status = form.get("status", "")
        if status not in STATUS_ACTIONS:
            return await self._page(
                request, barcode, error="Choose one of the status buttons.", status=422
            )
        try:
            await device_service.update_device(
                await page_actor(request),  # type: ignore[arg-type]
                request.app.state.clock(),
                barcode,
                {"status": status},
            )
        except LendingError as exc:
            if exc.status == 404:
                raise
            return await self._page(request, barcode, error=exc.detail, status=exc.status)
        return see_other(
            request,
            f"/admin/devices/{quote(barcode, safe='')}",
            flash=f"Device {barcode} {STATUS_DONE[status]}.",
        )
