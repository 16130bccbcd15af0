"""Refusals from label and receipt printing: domain errors with stable codes."""

from __future__ import annotations

from ..circulation import FieldError, Invalid, LendingError

__all__ = ["TemplateError", "refuse"]


class TemplateError(LendingError):
    """A label template file that cannot be used; the message names the file and the problem."""

    status = 422
    title = "Unusable label template"
    default_code = "bad_label_template"


def refuse(field: str, message: str, code: str, *, detail: str | None = None) -> Invalid:
    """An Invalid (422) with its own stable code instead of `validation_error`."""
    error = Invalid(FieldError(field, message), detail)
    error.code = code
    return error
