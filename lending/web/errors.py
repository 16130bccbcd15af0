"""Errors on pages are pages: a login redirect, or an error page with the status and a plain
explanation. API paths keep their problem+json answers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException

from ..circulation import LendingError
from ..services._common.request_context import current_request_id
from .i18n import translator
from .pages import LoginRequired, PageForbidden, language_of, login_redirect, render

__all__ = ["is_page_path", "with_page_errors"]

log = logging.getLogger("lending.web")

_API_PREFIXES = ("/api", "/schema")
_TRANSLATED = {400, 401, 403, 404, 405, 413, 429, 500}  # statuses with an error_<status> text


_PAGE_PREFIXES = ("/", "/desk", "/admin", "/my", "/login", "/logout", "/language", "/static")


def is_page_path(path: str) -> bool:
    return not any(path == p or path.startswith(p + "/") for p in _API_PREFIXES)


def _answers_with_a_page(request: Request) -> bool:
    """Errors are pages in the page areas, and anywhere outside /api for a browser (which asks
    for text/html); other clients of an unknown address get the contract's problem+json."""
    path = request.url.path
    if not is_page_path(path):
        return False
    if path == "/" or any(path == p or path.startswith(p + "/") for p in _PAGE_PREFIXES[1:]):
        return True
    return "text/html" in request.headers.get("accept", "")


def _page_error(request: Request, exc: Exception) -> Response[Any]:
    t = translator(language_of(request))
    if isinstance(exc, LoginRequired):
        return login_redirect(exc)
    if isinstance(exc, PageForbidden):
        status, message = 403, exc.message
    elif isinstance(exc, LendingError):
        status, message = exc.status, exc.detail
    elif isinstance(exc, PermissionDeniedException) and "csrf" in str(exc.detail).lower():
        status, message = 403, t("error_csrf")
    elif isinstance(exc, NotAuthorizedException):
        status, message = 401, t("error_401")
    elif isinstance(exc, HTTPException):
        status = exc.status_code
        message = t(f"error_{status}") if status in _TRANSLATED else str(exc.detail)
    else:
        path = request.scope.get("path_template") or request.url.path  # a card stays out
        log.exception("page error on %s %s", request.method, path, exc_info=exc)
        status, message = 500, t("error_500")
    return render(
        request,
        "error.html",
        status=status,
        status_code=status,
        message=message,
        request_id=current_request_id(),  # as in the X-Request-ID header and the logs
    )


def with_page_errors(
    api_handlers: dict[Any, Callable[[Request, Exception], Response[Any]]],
) -> dict[Any, Callable[[Request, Exception], Response[Any]]]:
    """The app's exception handlers: pages get `_page_error`, API paths their own handler."""

    def dispatch(api_handler: Callable[[Request, Exception], Response[Any]] | None):
        def handle(request: Request, exc: Exception) -> Response[Any]:
            if api_handler is None or _answers_with_a_page(request):
                return _page_error(request, exc)
            return api_handler(request, exc)

        return handle

    handlers = {key: dispatch(handler) for key, handler in api_handlers.items()}
    handlers[LoginRequired] = dispatch(None)
    handlers[PageForbidden] = dispatch(None)
    return handlers
