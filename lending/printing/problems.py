"""Refusals from label and receipt printing: domain errors with stable codes."""

from __future__ import annotations

from ..circulation import FieldError, Invalid, LendingError
from ..circulation.codes import Code

__all__ = ["TemplateError", "refuse"]


class TemplateError(LendingError):
    """A label template file that cannot be used; the message names the file and the problem."""

    status = 422
    title = "Unusable label template"
    default_code = Code.BAD_LABEL_TEMPLATE


def refuse(field: str, message: str, code: Code, *, detail: str | None = None) -> Invalid:
    """An Invalid (422) with its own stable code instead of `validation_error`."""
    error = Invalid(FieldError(field, message), detail)
    error.code = Code(code)
    return error
