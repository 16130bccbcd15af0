"""A request id for every HTTP request, so a desk's complaint can be traced.

The id is the request's `X-Request-ID` header when it is sane (1-64 characters of
A-Z a-z 0-9 . _ : -; a proxy's or the desk's own), otherwise a new one (32 random hex digits).
It is current while the request is served (services/_common/request_context.py: the audit events and
the problem bodies read it there), goes back on every response as `X-Request-ID`, and is on
every JSON log line written meanwhile (lending/http/logs.py), the access line included.

Plain ASGI around the app's whole handler (`wrap_app`): Litestar runs its own middleware only
for routes it found, and its exception handlers (the problem bodies) run inside this, so
404s, 405s and every error get the id too. A few microseconds a request: a header scan, a
regular expression, 16 random bytes and a context variable; nothing touches the database.
"""

from __future__ import annotations

import logging
import os
import re
import time
from typing import Any

from litestar import Litestar
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from ..services._common.request_context import bind_request_id, reset_request_id
from .logs import ACCESS_LOG, loggable_path

__all__ = ["HEADER", "RequestIds", "request_id_of", "wrap_app"]

HEADER = "X-Request-ID"
_HEADER = b"x-request-id"
_SANE = re.compile(rb"[A-Za-z0-9._:-]{1,64}")


def request_id_of(headers: Any) -> str:
    """The id a request goes by: its sane X-Request-ID header, or a new one."""
    for name, value in headers:
        if name == _HEADER:
            if _SANE.fullmatch(value):
                return value.decode("ascii")
            break
    return os.urandom(16).hex()  # 32 hex digits, like uuid4().hex at a quarter of its cost


class RequestIds:
    """The ASGI middleware; `access_log`: write one access line per request (JSON logs)."""

    __slots__ = ("access_log", "app")

    def __init__(self, app: ASGIApp, *, access_log: bool = False) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope["headers"])
        header = (_HEADER, request_id.encode("ascii"))
        token = bind_request_id(request_id)
        try:
            if self.access_log and ACCESS_LOG.isEnabledFor(logging.INFO):
                await self._logged(scope, receive, send, header)
                return

            async def send_with_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", ()), header]
                await send(message)

            await self.app(scope, receive, send_with_id)
        finally:
            reset_request_id(token)

    async def _logged(
        self, scope: Scope, receive: Receive, send: Send, header: tuple[bytes, bytes]
    ) -> None:
        started = time.perf_counter()
        status = 500  # unless a response starts

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            path = loggable_path(scope)
            ACCESS_LOG.info(
                "%s %s %s",
                scope["method"],
                path,
                status,
                extra={
                    "method": scope["method"],
                    "path": path,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )


def wrap_app(app: Litestar, *, access_log: bool = False) -> Litestar:
    """Put `RequestIds` around the app's handler (inside Litestar's own entry, which answers
    the lifespan and runs the `before_send` hooks on what this sends)."""
    app.asgi_handler = RequestIds(app.asgi_handler, access_log=access_log)
    return app
