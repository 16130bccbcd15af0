"""Every error leaves as RFC 9457 application/problem+json with a stable `code`, and the
request's id (`request_id`, as in the X-Request-ID header, the logs and the audit trail)."""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotFoundException,
    SerializationException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from ..circulation import Invalid, LendingError, TooManyAttempts
from ..circulation.codes import ERRORS, Code
from ..services._common.request_context import current_request_id
from .logs import loggable_path

__all__ = ["EXCEPTION_HANDLERS", "problem"]

log = logging.getLogger("lending.http")

PROBLEM = "application/problem+json"
_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Refused",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid request",
    429: "Too many attempts",
    500: "Server error",
    503: "Service unavailable",
}
# The generic code of each status, for the framework's own errors (from the registry).
_CODES = {
    400: Code.BAD_REQUEST,
    401: Code.UNAUTHENTICATED,
    403: Code.FORBIDDEN,
    404: Code.NOT_FOUND,
    405: Code.METHOD_NOT_ALLOWED,
    413: Code.REQUEST_TOO_LARGE,
    415: Code.UNSUPPORTED_MEDIA_TYPE,
    429: Code.TOO_MANY_ATTEMPTS,
    503: Code.SERVICE_UNAVAILABLE,
}
assert all(ERRORS[code].status == status for status, code in _CODES.items())


def problem(
    status: int, code: Code, detail: str, *, title: str | None = None, **extra: Any
) -> Response[dict[str, Any]]:
    code = Code(code)  # registered codes only
    body: dict[str, Any] = {
        "type": f"https://lending.example/problems/{code}",
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    request_id = current_request_id()
    if request_id is not None:  # the same id as the response's X-Request-ID header
        body["request_id"] = request_id
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return Response(body, status_code=status, media_type=PROBLEM, headers=headers)


def _lending_error(_: Request, exc: LendingError) -> Response:
    extra: dict[str, Any] = {}
    if isinstance(exc, Invalid):
        extra["errors"] = [e.as_dict() for e in exc.errors]
    if exc.facts:
        extra["facts"] = exc.facts
    response = problem(exc.status, exc.code, exc.detail, title=exc.title, **extra)
    if isinstance(exc, TooManyAttempts) and exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


_AT_PATH = re.compile(r"at `\$\.([^`]+)`")
_MISSING = re.compile(r"missing required field `([^`]+)`")


def _field_errors(exc: ValidationException) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []
    extra = exc.extra if isinstance(exc.extra, list) else [exc.extra] if exc.extra else []
    for item in extra:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", "invalid value"))
        field = item.get("key") or ""
        found = _MISSING.search(message) or _AT_PATH.search(message)
        if found:
            field = found.group(1)
        elif item.get("source") == "body" or field in ("data", ""):
            field = field if field not in ("data", None) else "body"
        message = _AT_PATH.sub("", message).strip(" -")
        errors.append({"field": str(field), "message": message})
    return errors or [{"field": "body", "message": exc.detail or "invalid"}]


def _validation(_: Request, exc: ValidationException) -> Response:
    detail = str(exc.detail or "")
    if "JSON is malformed" in detail or "malformed" in detail.lower() or _is_decode_error(exc):
        return problem(400, Code.MALFORMED_JSON, "The request body is not valid JSON.")
    errors = _field_errors(exc)
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(
        422, Code.VALIDATION_ERROR, summary or "The request is not valid.", errors=errors
    )


def _is_decode_error(exc: ValidationException) -> bool:
    extra = exc.extra if isinstance(exc.extra, list) else []
    return any(
        isinstance(i, dict) and "malformed" in str(i.get("message", "")).lower() for i in extra
    )


def _http(_: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    if isinstance(exc, NotFoundException):
        return problem(404, Code.NOT_FOUND, "There is nothing at this address.")
    if isinstance(exc, MethodNotAllowedException):
        return problem(405, Code.METHOD_NOT_ALLOWED, "This address does not accept that method.")
    detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(status, "Error")
    if status == 400 and (
        isinstance(exc.__cause__, SerializationException) or "json" in detail.lower()
    ):
        return problem(400, Code.MALFORMED_JSON, "The request body is not valid JSON.")
    fallback = Code.BAD_REQUEST if status < 500 else Code.INTERNAL_ERROR
    return problem(status, _CODES.get(status, fallback), detail)


def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception(
        "unhandled error on %s %s", request.method, loggable_path(request.scope), exc_info=exc
    )
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR,
        Code.INTERNAL_ERROR,
        "Something went wrong on our side; the change was not saved.",
    )


EXCEPTION_HANDLERS = {
    LendingError: _lending_error,
    ValidationException: _validation,
    HTTPException: _http,
    Exception: _unexpected,
}
