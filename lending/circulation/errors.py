"""One small tree of domain errors, each with a stable machine-readable code.

The HTTP layer maps them to RFC 9457 problem responses in one place; the CLI prints them.
Nothing here imports a framework.
"""

from __future__ import annotations

from typing import Any

from .codes import Code

__all__ = [
    "AuthError",
    "Conflict",
    "FieldError",
    "Forbidden",
    "Invalid",
    "LendingError",
    "NotFound",
    "TooManyAttempts",
    "Unauthenticated",
]


class LendingError(Exception):
    """Base of every error the product reports to a person or a program."""

    status = 400
    title = "Bad request"
    default_code = Code.BAD_REQUEST

    def __init__(
        self, detail: str, code: str | None = None, *, facts: dict[str, Any] | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        # Every code is registered (codes.py): an unknown one fails here, and a test scans the
        # raise sites so that it never reaches a user.
        self.code = Code(code or self.default_code)
        # Machine-readable facts behind a refusal (sent as `facts` in the problem body), so an
        # edge can word it in its own language without parsing `detail`.
        self.facts = facts or {}


class NotFound(LendingError):
    status = 404
    title = "Not found"
    default_code = Code.NOT_FOUND


class Conflict(LendingError):
    """A refusal: the request is understood but the library's rules say no."""

    status = 409
    title = "Refused"
    default_code = Code.CONFLICT


class FieldError:
    __slots__ = ("field", "message")

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"FieldError({self.field!r}, {self.message!r})"


class Invalid(LendingError):
    status = 422
    title = "Invalid request"
    default_code = Code.VALIDATION_ERROR

    def __init__(self, errors: list[FieldError] | FieldError, detail: str | None = None) -> None:
        self.errors = [errors] if isinstance(errors, FieldError) else list(errors)
        message = detail or "; ".join(f"{e.field}: {e.message}" for e in self.errors)
        super().__init__(message or "The request is not valid.")


class AuthError(LendingError):
    status = 401
    title = "Unauthorized"


class Unauthenticated(AuthError):
    default_code = Code.UNAUTHENTICATED


class Forbidden(LendingError):
    status = 403
    title = "Forbidden"
    default_code = Code.FORBIDDEN


class TooManyAttempts(LendingError):
    status = 429
    title = "Too many attempts"
    default_code = Code.TOO_MANY_ATTEMPTS

    def __init__(
        self, detail: str, code: str | None = None, *, retry_after: int | None = None
    ) -> None:
        super().__init__(detail, code)
        self.retry_after = retry_after  # seconds until a new attempt may succeed (Retry-After)
