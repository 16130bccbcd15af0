"""Admin console: label sheets. Pick devices (tick them in a filtered list, or take every device
the filters match), a label stock template from labels/, the first position on the sheet and the
symbology; the answer is the file to download (PDF, or ZPL for a Zebra roll). Rendering and the
`needs_label` bookkeeping are lending.services.inventory.labels, the same as the API.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Template

from ...circulation import KINDS, Invalid, LendingError
from ...circulation.permissions import Action
from ...printing import SYMBOLOGIES, TemplateError, list_templates, load_template
from ...printing.symbology import symbology_name
from ...services.inventory import labels as label_service
from ...settings import Settings
from ..pages import MAX_FIELD_CHARS, checked_form, render, requires_page
from ..sessions import page_actor
from ..struct_form import errors_of
from .devices import branch_options

__all__ = ["AdminLabelController"]

SHOWN = 300  # devices listed for ticking; printing "by filters" takes all of them
MAX_TICKED = label_service.MAX_LABELS
FILTERS = ("kind", "branch", "added_since", "needs_label")
FIELDS = ("template", "start_at", "symbology", "which", "barcodes", *FILTERS)


def template_options(settings: Settings) -> list[tuple[str, str]]:
    options = []
    for name in list_templates(settings.labels_dir or None):
        try:
            stock = load_template(name, settings.labels_dir or None)
        except (TemplateError, LendingError):
            continue  # an unusable file is not offered (the API names its problem)
        where = f"{stock.per_page} per page" if stock.per_page > 1 else "roll"
        options.append((name, f"{stock.title} · {stock.output.upper()}, {where}"))
    return options


def _filters(source: Any) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """(as typed, as the service takes them, errors) for the four filters."""

    def text(name: str) -> str:
        value = source.get(name) or ""
        return value.strip()[:MAX_FIELD_CHARS] if isinstance(value, str) else ""

    typed = {name: text(name) for name in FILTERS}
    errors: dict[str, str] = {}
    chosen: dict[str, Any] = {}
    if typed["kind"]:
        if typed["kind"] in KINDS:
            chosen["kind"] = typed["kind"]
        else:
            errors["kind"] = "Choose one of the listed kinds."
    if typed["branch"]:
        if len(typed["branch"]) <= 64:
            chosen["branch"] = typed["branch"]
        else:
            errors["branch"] = "Choose one of the listed branches."
    if typed["added_since"]:
        try:
            chosen["added_since"] = date.fromisoformat(typed["added_since"])
        except ValueError:
            errors["added_since"] = "Enter a date as YYYY-MM-DD."
    if typed["needs_label"] in ("yes", "no"):
        chosen["needs_label"] = typed["needs_label"] == "yes"
    elif typed["needs_label"]:
        errors["needs_label"] = "Choose one of the listed values."
    return typed, chosen, errors


def _sentence(exc: LendingError) -> str:
    if isinstance(exc, Invalid) and exc.errors:
        text = exc.errors[0].message
        return text[:1].upper() + text[1:] + "."
    return exc.detail


class AdminLabelController(Controller):
    path = "/admin/labels"
    guards = [requires_page(Action.LABEL_PRINT)]
    include_in_schema = False

    async def _page(
        self,
        request: Request,
        *,
        typed: dict[str, str],
        chosen: dict[str, Any],
        errors: dict[str, str],
        options: dict[str, Any],
        status: int = 200,
        refused: list[tuple[str, str]] | None = None,
        printable: int = 0,
    ) -> Template:
        settings: Settings = request.app.state.settings
        devices: list[label_service.LabelDevice] = []
        message = None
        if not any(k in errors for k in FILTERS):
            selection = label_service.LabelRequest(**chosen, all=not chosen)
            try:
                devices = await label_service.select_devices(selection, settings.timezone)
            except LendingError as exc:
                if exc.status >= 500:
                    raise
                message = _sentence(exc)
        return render(
            request,
            "admin/labels.html",
            status=status,
            filters=typed,
            errors=errors,
            options=options,
            devices=devices[:SHOWN],
            total=len(devices),
            shown=SHOWN,
            list_message=message,
            refused=refused or [],
            printable=printable,
            kind_options=[(k, k) for k in KINDS],
            branches=await branch_options(),
            templates=template_options(settings),
            symbologies=[(s, symbology_name(s)) for s in SYMBOLOGIES],
        )

    @get("/")
    async def show(self, request: Request) -> Template:
        query = request.query_params
        if not any(name in query for name in FILTERS):
            typed, chosen, errors = {"needs_label": "yes"}, {"needs_label": True}, {}
        else:
            typed, chosen, errors = _filters(query)
        settings: Settings = request.app.state.settings
        options = {
            "template": label_service.DEFAULT_TEMPLATE,
            "start_at": "1",
            "symbology": settings.barcode_symbology,
            "which": "ticked",
            "ticked": set(),
        }
        return await self._page(request, typed=typed, chosen=chosen, errors=errors, options=options)

    @post("/", status_code=200)
    async def print_(self, request: Request) -> Response[Any]:
        form = await checked_form(request)
        settings: Settings = request.app.state.settings

        def one(name: str) -> str:
            value = form.get(name)
            return value.strip()[:MAX_FIELD_CHARS] if isinstance(value, str) else ""

        ticked = [
            v.strip()[:200] for v in form.getall("barcodes", []) if isinstance(v, str) and v.strip()
        ]
        typed, chosen, errors = _filters({name: one(name) for name in FILTERS})
        which = one("which") or "ticked"
        options = {
            "template": one("template"),
            "start_at": one("start_at"),
            "symbology": one("symbology"),
            "which": which,
            "ticked": set(ticked),
        }
        refused: list[tuple[str, str]] = []
        printable = 0
        start_at = 1
        if not options["start_at"]:
            errors["start_at"] = "This field is required."
        elif not options["start_at"].isdigit() or len(options["start_at"]) > 6:
            errors["start_at"] = "Enter a whole number, 1 for the first label on the sheet."
        else:
            start_at = int(options["start_at"])
        if not options["template"]:
            errors["template"] = "Choose a label stock."
        if which not in ("ticked", "filters"):
            errors["which"] = "Choose which devices to print."
        elif which == "ticked" and not ticked:
            errors["barcodes"] = (
                "Tick at least one device, or choose every device that matches the filters."
            )
        elif len(ticked) > MAX_TICKED:
            errors["barcodes"] = f"At most {MAX_TICKED} labels at a time."
        if not errors:
            selection = label_service.LabelRequest(
                template=options["template"],
                start_at=start_at,
                symbology=options["symbology"] or None,
                # First ask: when some devices cannot be labelled the page lists them and offers
                # to print the others ("partial"), instead of refusing the whole batch.
                partial=one("partial") == "1",
                **({"barcodes": ticked} if which == "ticked" else {**chosen, "all": not chosen}),
            )
            try:
                printed = await label_service.print_labels(
                    await page_actor(request),  # type: ignore[arg-type]
                    request.app.state.clock(),
                    settings,
                    selection,
                )
            except label_service.SomeLabelsRefused as exc:
                refused, printable = exc.refused, exc.printable
            except LendingError as exc:
                if exc.status >= 500:
                    raise
                errors = errors_of(exc, FIELDS)
            else:
                return Response(
                    content=printed.content,
                    media_type=printed.media_type,
                    headers={
                        "content-disposition": f'attachment; filename="{printed.filename}"',
                        "cache-control": "no-store",
                        "x-label-pages": str(printed.pages),
                    },
                )
        return await self._page(
            request,
            typed=typed,
            chosen=chosen,
            errors=errors,
            options=options,
            status=422,
            refused=refused,
            printable=printable,
        )
