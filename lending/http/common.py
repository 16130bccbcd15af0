"""Pieces every controller uses: paging parameters, scanned-code clean-up, error docs."""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus
from typing import Annotated

from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import JSONBody, Parameter

from ..schemas.base import MAX_ID, code
from ..services.actors import Actor
from ..settings import Settings

__all__ = [
    "ActorDep",
    "Filter",
    "Id",
    "JSONBody",
    "Limit",
    "MAX_ID",
    "Now",
    "Offset",
    "SettingsDep",
    "code",
    "errors",
]

ActorDep = NamedDependency[Actor]
Now = NamedDependency[datetime]
SettingsDep = NamedDependency[Settings]

Limit = Annotated[int, Parameter(ge=1, le=500, description="page size (1-500)")]
Offset = Annotated[int, Parameter(ge=0, le=2**63 - 1, description="items to skip")]
# Row ids are `serial` (32-bit) columns: a larger id cannot exist, and PostgreSQL would refuse it
# as a query argument (a 500), so it is a 422 here.
Id = Annotated[int, Parameter(ge=1, le=MAX_ID, description="id")]
Filter = Annotated[str | None, Parameter(max_length=200)]


_DESCRIPTIONS = {
    400: "Malformed request, such as a body that is not JSON (code malformed_json)",
    401: "Missing, invalid or expired token (code unauthenticated), or wrong credentials",
    403: "The account's role may not do this (code forbidden)",
    404: "Not found",
    409: "Refused by the library's rules",
    422: "Invalid request (code validation_error, with errors[])",
    429: "Too many failed logins (code too_many_attempts)",
    503: "The database does not answer (code database_unavailable)",
}
_EXAMPLE_CODES = {
    400: "malformed_json",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    409: "device_unavailable",
    422: "validation_error",
    429: "too_many_attempts",
    503: "database_unavailable",
}


def errors(*statuses: int) -> dict[int, ResponseSpec]:
    """Declare problem+json error responses for a handler, for the OpenAPI document.

    400 is always declared: any request can be malformed, and without it Litestar documents
    its own 400 body (application/json, not ours) for every handler that takes parameters.
    """
    from ..circulation.codes import ERRORS
    from ..schemas.base import ProblemOut

    specs = {}
    for status in sorted({400, *statuses}):
        codes = ", ".join(code.value for code, info in ERRORS.items() if info.status == status)
        description = _DESCRIPTIONS.get(status, "Error") + (f". Codes: {codes}" if codes else "")
        code = _EXAMPLE_CODES.get(status, "error")
        example: dict[str, object] = {
            "type": f"https://lending.example/problems/{code}",
            "title": HTTPStatus(status).phrase,
            "status": status,
            "detail": _DESCRIPTIONS.get(status, "Error"),
            "code": code,
        }
        if status == 422:
            example["errors"] = [{"field": "barcode", "message": "must not be empty"}]
        specs[status] = ResponseSpec(
            data_container=ProblemOut,
            description=description,
            media_type="application/problem+json",
            generate_examples=False,
            examples=[Example(summary=code, value=example)],
        )
    return specs
