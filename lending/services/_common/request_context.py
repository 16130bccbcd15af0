"""The id of the request being served, for the audit trail, problem bodies and log lines.

A context variable, set by the HTTP edge (lending/http/request_ids.py) for each request and by
the SIP2 server for each message; None anywhere else (jobs, the `lending` command). No
framework here: services and logging read it with `current_request_id()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

__all__ = ["bind_request_id", "current_request_id", "request_id_scope", "reset_request_id"]

_REQUEST_ID: ContextVar[str | None] = ContextVar("lending_request_id", default=None)


def current_request_id() -> str | None:
    """The current request's id, or None outside a request."""
    return _REQUEST_ID.get()


def bind_request_id(request_id: str | None) -> Token[str | None]:
    """Make `request_id` current; give the token back to `reset_request_id`."""
    return _REQUEST_ID.set(request_id)


def reset_request_id(token: Token[str | None]) -> None:
    _REQUEST_ID.reset(token)


@contextmanager
def request_id_scope(request_id: str | None) -> Iterator[str | None]:
    """`request_id` is current inside the block, and what was before it after."""
    token = _REQUEST_ID.set(request_id)
    try:
        yield request_id
    finally:
        _REQUEST_ID.reset(token)
