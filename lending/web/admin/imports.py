"""Admin console: CSV import (devices, service lines, patrons) and CSV exports.

The import page posts the file (multipart, up to 20 MB like `POST /api/imports/{kind}`) to the
same service as the API, lending.services.data.imports: every row is checked and nothing is written
if any row is bad; the page then lists every bad row (line, column, reason; the first 1,000).
A dry run (ticked by default) shows what would change; when the file is small enough the result
page carries its text in a hidden field, so "Import for real" needs no second upload.

Exports are page routes (`/admin/exports/{name}.csv`) streaming the same service output as
`GET /api/exports/{name}.csv`, because a browser's session cookie cannot call the bearer-token
API.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Stream, Template

from ...circulation import LendingError, NotFound
from ...circulation.codes import Code
from ...circulation.permissions import Action
from ...services._common.render import zone
from ...services.data import exports, imports
from ...services.data.csv_read import ImportRejected
from ..pages import MAX_FIELD_CHARS, checked_form, render, requires_page
from ..sessions import page_actor
from ..struct_form import errors_of

__all__ = ["AdminExportController", "AdminImportController"]

MAX_IMPORT_BYTES = 20 * 1024 * 1024  # as the API's POST /api/imports/{kind}
MAX_ERRORS_LISTED = 1000  # as the API lists
MAX_CARRIED_BYTES = 1024 * 1024  # a dry-run file this small rides along for "Import for real"
KIND_OPTIONS = [("devices", "Devices"), ("lines", "Service lines"), ("patrons", "Patrons")]
EXPORT_NAMES = (*exports.EXPORTS, "compliance")
EXPORT_TITLES = {
    "devices": "Devices (the import's columns: edit and import again)",
    "loans": "Current loans",
    "lines": "Service lines (the import's columns)",
    "patrons": "Patrons (the import's columns)",
    "compliance": "Compliance: every loan of each device",
}


def _one(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip()[:MAX_FIELD_CHARS] if isinstance(value, str) else ""


async def _file_of(form: Any) -> tuple[bytes | None, str]:
    """(the uploaded bytes, the file name), or the text carried from a dry run; None when no
    file was chosen."""
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        return await upload.read(), upload.filename[:200]
    carried = form.get("csv_text")
    if isinstance(carried, str) and carried:
        name = form.get("file_name")
        return carried.encode(), (name[:200] if isinstance(name, str) else "")
    return None, ""


def _has_pins(kind: str, data: bytes) -> bool:
    if kind != "patrons":
        return False
    header = data.split(b"\n", 1)[0].decode("utf-8-sig", "replace").lower()
    return "pin" in (cell.strip().strip('"') for cell in header.split(","))


class AdminImportController(Controller):
    path = "/admin/imports"
    guards = [requires_page(Action.IMPORT)]
    include_in_schema = False

    @get("/")
    async def show(self, request: Request) -> Template:
        return render(
            request,
            "admin/imports.html",
            values={"kind": "devices", "dry_run": True},
            errors={},
            kind_options=KIND_OPTIONS,
        )

    @post("/", status_code=200, request_max_body_size=MAX_IMPORT_BYTES)
    async def upload(self, request: Request) -> Template:
        form = await checked_form(request)
        kind = _one(form, "kind")
        dry_run = _one(form, "dry_run") in ("on", "yes", "true", "1")
        values = {"kind": kind, "dry_run": dry_run}
        errors: dict[str, str] = {}
        if kind not in imports.KINDS:
            errors["kind"] = "Choose devices, service lines or patrons."
        data, file_name = await _file_of(form)
        if data is None:
            errors["file"] = "Choose a CSV file to upload."
        if errors:
            return self._form(request, values, errors, status=422)
        assert data is not None
        try:
            summary = await imports.import_csv(
                await page_actor(request),  # type: ignore[arg-type]
                request.app.state.clock(),
                kind,
                data,
                dry_run=dry_run,
            )
        except ImportRejected as exc:
            return render(
                request,
                "admin/import_result.html",
                status=422,
                kind=kind,
                file_name=file_name,
                rejected=exc,
                problems=exc.errors[:MAX_ERRORS_LISTED],
                not_listed=max(0, len(exc.errors) - MAX_ERRORS_LISTED),
                values=values,
                errors={},
                kind_options=KIND_OPTIONS,
            )
        except LendingError as exc:
            if exc.status >= 500:
                raise
            return self._form(request, values, errors_of(exc, ("kind", "file")), status=exc.status)
        carried = None
        # A patrons file may carry PINs: those never go back into a page, so such a file is
        # uploaded again for the real import.
        if dry_run and len(data) <= MAX_CARRIED_BYTES and not _has_pins(kind, data):
            try:
                carried = data.decode("utf-8-sig")
            except UnicodeDecodeError:  # cannot happen: the service read it as UTF-8
                carried = None
        return render(
            request,
            "admin/import_result.html",
            kind=kind,
            kind_label=dict(KIND_OPTIONS)[kind],
            file_name=file_name,
            summary=summary,
            carried=carried,
            values={"kind": kind, "dry_run": False},
            errors={},
            kind_options=KIND_OPTIONS,
        )

    def _form(
        self, request: Request, values: dict[str, Any], errors: dict[str, str], *, status: int
    ) -> Template:
        return render(
            request,
            "admin/imports.html",
            status=status,
            values=values,
            errors=errors,
            kind_options=KIND_OPTIONS,
        )


def _date(text: str, name: str, errors: dict[str, str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = "Enter a date as YYYY-MM-DD."
        return None


class AdminExportController(Controller):
    path = "/admin/exports"
    guards = [requires_page(Action.EXPORT)]
    include_in_schema = False

    def _page(
        self, request: Request, values: dict[str, str], errors: dict[str, str], status: int = 200
    ) -> Template:
        return render(
            request,
            "admin/exports.html",
            status=status,
            exports=[(name, EXPORT_TITLES[name]) for name in EXPORT_NAMES],
            values=values,
            errors=errors,
        )

    @get("/")
    async def show(self, request: Request) -> Template:
        return self._page(request, {}, {})

    @get("/{name:str}")
    async def download(self, request: Request, name: FromPath[str]) -> Stream | Template:
        kind = name.removesuffix(".csv")
        if not name.endswith(".csv") or kind not in EXPORT_NAMES:
            raise NotFound(
                f"No export {name[:64]!r}; there are "
                f"{', '.join(n + '.csv' for n in EXPORT_NAMES)}.",
                Code.EXPORT_NOT_FOUND,
            )
        query = request.query_params
        values = {k: (query.get(k) or "").strip()[:MAX_FIELD_CHARS] for k in ("from", "to")}
        errors: dict[str, str] = {}
        first = _date(values["from"], "from", errors)
        last = _date(values["to"], "to", errors)
        if first and last and first > last:
            errors["from"] = "The first day must not be after the last day."
        if errors:
            return self._page(request, values, errors, status=422)
        settings = request.app.state.settings
        now = request.app.state.clock()
        chunks = await exports.export_csv(
            kind, now, start=first, end=last, timezone=settings.timezone
        )
        stamp = now.astimezone(zone(settings.timezone)).date().isoformat()
        return Stream(
            chunks,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{kind}-{stamp}.csv"',
                "cache-control": "no-store",
            },
        )
