"""Strict request parsing, run after the guards and before Litestar binds the handler's arguments.

Litestar converts request bodies in msgspec's lax mode, where `"14"` passes for an integer and
`"true"` for a boolean. The contract wants wrong types refused, so each JSON body is first
converted strictly against the handler's declared type; the error names the field. Bodies that
are not JSON at all (including bytes that are not UTF-8) are `malformed_json`. Text the
databases cannot store (NUL characters) is refused in bodies, paths and queries alike.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.exceptions import SerializationException

from ..circulation import FieldError, Invalid, LendingError

__all__ = ["MalformedJSON", "field_error", "strict_request"]

_NO_BODY = object()

_AT_PATH = re.compile(r"\s*-\s*at `\$((?:\.[^`.\[]+|\[[^`\]]*\])*)`$")
_NAMED = re.compile(r"(?:missing required|contains unknown) field `([^`]+)`")


class MalformedJSON(LendingError):
    status = 400
    title = "Bad request"
    default_code = "malformed_json"

    def __init__(self) -> None:
        super().__init__("The request body is not valid JSON.")


def field_error(message: str) -> FieldError:
    """A msgspec validation message as {field, message}: `Expected int - at `$.a[0]`` names
    `a[0]`, `Object missing required field `a`` names `a`; anything else is the whole body."""
    path = ""
    found = _AT_PATH.search(message)
    if found:
        path = found.group(1).lstrip(".")
        message = message[: found.start()]
    named = _NAMED.search(message)
    if named:
        path = f"{path}.{named.group(1)}" if path else named.group(1)
    return FieldError(path or "body", message.strip() or "invalid value")


def _body_type(request: Request) -> Any:
    """The type a JSON body is decoded into; _NO_BODY for handlers without one, with another
    media type (forms, uploads), with a DTO, or that take the raw bytes."""
    handler = request.route_handler
    data = handler.parsed_fn_signature.parameters.get("data")
    if data is None or handler.resolve_data_dto() is not None:
        return _NO_BODY
    media_type = getattr(data.kwarg_definition, "media_type", RequestEncodingType.JSON)
    if media_type != RequestEncodingType.JSON or data.annotation in (bytes, str, Any):
        return _NO_BODY
    return data.annotation


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


async def strict_request(request: Request) -> None:
    """Litestar `before_request` hook: raise a LendingError for input the contract refuses."""
    problems = [
        FieldError(name, "must not contain NUL characters")
        for name, value in [*request.path_params.items(), *request.query_params.multi_items()]
        if _has_nul(value)
    ]
    if problems:
        raise Invalid(problems)
    body_type = _body_type(request)
    if body_type is _NO_BODY:
        return
    try:
        raw = await request.json()
    except (SerializationException, UnicodeDecodeError, ValueError):
        raise MalformedJSON() from None
    try:
        msgspec.convert(raw, body_type, strict=True)
    except msgspec.ValidationError as exc:
        raise Invalid(field_error(str(exc))) from None
    if _has_nul(raw):
        raise Invalid(FieldError("body", "text must not contain NUL characters"))
