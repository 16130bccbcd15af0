"""Pieces every controller uses: paging parameters, scanned-code clean-up, error docs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, Parameter

from ..circulation import FieldError, Invalid, normalize_code
from ..services.actors import Actor
from ..settings import Settings

__all__ = [
    "ActorDep",
    "Filter",
    "Id",
    "JSONBody",
    "Limit",
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
Id = Annotated[int, Parameter(ge=1, le=2**63 - 1)]
Filter = Annotated[str | None, Parameter(max_length=200)]


def code(raw: str, field: str) -> str:
    """A barcode or card number as a scanner typed it, cleaned; empty after clean-up → 422."""
    value = normalize_code(raw)
    if not value:
        raise Invalid(FieldError(field, "must not be empty"))
    if len(value) > 64:
        raise Invalid(FieldError(field, "at most 64 characters"))
    return value


_DESCRIPTIONS = {
    400: "Malformed JSON (code malformed_json)",
    401: "Missing, invalid or expired token (code unauthenticated), or wrong credentials",
    403: "The account's role may not do this (code forbidden)",
    404: "Not found",
    409: "Refused by the library's rules",
    422: "Invalid request (code validation_error, with errors[])",
    429: "Too many failed logins (code too_many_attempts)",
}


def errors(*statuses: int) -> dict[int, ResponseSpec]:
    """Declare problem+json error responses for a handler, for the OpenAPI document."""
    from .schemas import ProblemOut

    return {
        s: ResponseSpec(
            data_container=ProblemOut,
            description=_DESCRIPTIONS.get(s, "Error"),
            media_type="application/problem+json",
        )
        for s in statuses
    }
