"""CSV imports (admin): the file as the request body (text/csv) or a multipart field `file`."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, post
from litestar.datastructures import UploadFile
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, Parameter

from ..circulation.permissions import Action
from ..schemas.base import ProblemOut
from ..schemas.imports import ImportOut
from ..services.data import imports
from ..services.data.csv_read import ImportRejected
from .common import ActorDep, Now, errors
from .problems import problem
from .security import requires

__all__ = ["ImportController", "MAX_IMPORT_BYTES"]

MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_ERRORS_LISTED = 1000


def _responses() -> dict[int, ResponseSpec]:
    specs = errors(400, 401, 403, 409, 413, 422)
    specs[422] = ResponseSpec(
        data_container=ProblemOut,
        description="Nothing was imported (code import_rejected): `errors` lists every bad row "
        "as {line, column, reason} (also as field/message), at most 1,000; `error_count` has "
        "them all and `errors_not_listed` the rest",
        media_type="application/problem+json",
    )
    return specs


async def _file_bytes(request: Request) -> bytes:
    content_type, _ = request.content_type
    if content_type == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if isinstance(upload, UploadFile):
            return await upload.read()
        return upload.encode() if isinstance(upload, str) else b""
    return await request.body()


def rejected(exc: ImportRejected) -> Response[dict[str, Any]]:
    return problem(
        422,
        exc.code,
        exc.detail,
        errors=[
            {**e.as_dict(), "field": e.column or "line", "message": f"line {e.line}: {e.reason}"}
            for e in exc.errors[:MAX_ERRORS_LISTED]
        ],
        error_count=len(exc.errors),
        errors_not_listed=max(0, len(exc.errors) - MAX_ERRORS_LISTED),
    )


class ImportController(Controller):
    path = "/api/imports"
    tags = ["imports and exports"]
    guards = [requires(Action.IMPORT)]

    @post(
        "/{kind:str}",
        status_code=200,
        request_max_body_size=MAX_IMPORT_BYTES,
        responses=_responses(),
        description="Import devices, lines or patrons from CSV (UTF-8, header line first): "
        "every row is checked first and nothing is imported if any row is bad. Existing rows "
        "are updated by barcode / ICCID / card number. `dry_run=true` reports what would "
        "change and writes nothing.",
    )
    async def import_csv(
        self,
        kind: Annotated[str, Parameter(max_length=16, description="devices, lines or patrons")],
        request: Request,
        actor: ActorDep,
        now: Now,
        dry_run: FromQuery[bool] = False,
    ) -> ImportOut | Response[dict[str, Any]]:
        data = await _file_bytes(request)
        try:
            return await imports.import_csv(actor, now, kind, data, dry_run=dry_run)
        except ImportRejected as exc:
            return rejected(exc)
