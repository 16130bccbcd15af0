"""Strict request parsing, run after the guards and before Litestar binds the handler's arguments.

Litestar converts request bodies in msgspec's lax mode, where `"14"` passes for an integer and
`"true"` for a boolean. The contract wants wrong types refused, so each JSON body is first
converted strictly against the handler's declared type; the error names the field. Bodies that
are not JSON at all (including bytes that are not UTF-8) are `malformed_json`.

Hostile values are refused before that, with a 422 naming the field: bodies nested deeper than
MAX_DEPTH, integers beyond 64 bits (no column holds them: PostgreSQL would refuse them as query
arguments) and text that lending.circulation.text refuses (NUL and other control characters,
lone surrogates) in bodies, paths and queries alike.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.exceptions import SerializationException

from ..circulation import FieldError, Invalid, LendingError
from ..circulation.codes import Code
from ..circulation.text import text_problem

__all__ = ["MAX_DEPTH", "MalformedJSON", "field_error", "strict_request"]

MAX_DEPTH = 32  # the deepest request body is 3 levels; msgspec itself gives up near 1,000
MAX_INT = 2**63 - 1  # the widest integer column (bigint)

_NO_BODY = object()

_AT_PATH = re.compile(r"\s*-\s*at `\$((?:\.[^`.\[]+|\[[^`\]]*\])*)`$")
_NAMED = re.compile(r"(?:missing required|contains unknown) field `([^`]+)`")


class MalformedJSON(LendingError):
    status = 400
    title = "Bad request"
    default_code = Code.MALFORMED_JSON

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


def _hostile(value: Any) -> FieldError | None:
    """The first value in a decoded JSON body that is refused whatever the field: walked without
    recursion, so no nesting depth can exhaust the stack."""
    stack: list[tuple[str, Any, int]] = [("", value, 0)]
    while stack:
        path, item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return FieldError(path or "body", f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return FieldError(path or "body", problem)
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int):
            if not -MAX_INT <= item <= MAX_INT:
                return FieldError(path or "body", "number out of range")
        elif isinstance(item, float):
            if item != item or item in (float("inf"), float("-inf")):
                return FieldError(path or "body", "number out of range")
        elif isinstance(item, dict):
            for key, child in reversed(item.items()):
                problem = text_problem(key) if isinstance(key, str) else None
                if problem:
                    return FieldError(f"{path}.{key!r}" if path else "body", f"key {problem}")
                stack.append((f"{path}.{key}" if path else str(key), child, depth + 1))
        elif isinstance(item, list):
            for index in reversed(range(len(item))):
                stack.append((f"{path}[{index}]", item[index], depth + 1))
    return None


def _path_problems(request: Request) -> list[FieldError]:
    problems = []
    for name, value in [*request.path_params.items(), *request.query_params.multi_items()]:
        problem = text_problem(value, multi_line=False) if isinstance(value, str) else None
        if problem:
            problems.append(FieldError(name, problem))
    return problems


async def strict_request(request: Request) -> None:
    """Litestar `before_request` hook: raise a LendingError for input the contract refuses."""
    problems = _path_problems(request)
    if problems:
        raise Invalid(problems)
    body_type = _body_type(request)
    if body_type is _NO_BODY:
        return
    try:
        raw = await request.json()
    except RecursionError:
        raise Invalid(FieldError("body", f"nested more than {MAX_DEPTH} levels deep")) from None
    except (SerializationException, UnicodeDecodeError, ValueError):
        raise MalformedJSON() from None
    hostile = _hostile(raw)
    if hostile is not None:
        raise Invalid(hostile)
    try:
        msgspec.convert(raw, body_type, strict=True)
    except msgspec.ValidationError as exc:
        raise Invalid(field_error(str(exc))) from None
