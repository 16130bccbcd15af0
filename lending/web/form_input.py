"""The one reader of page forms: every submitted value is checked before a handler sees it.

`refuse_hostile_form` runs (from the app's `before_request`, after the guards) on every request
with a form body, whether or not its handler reads the form; `read_form` and `checked_form` are
how handlers read it.

Refused, with a 422 error page that names each field and says what is wrong (FormRefused),
before any database call:
- NUL and other control characters (lending.circulation.text: tab, line feed and carriage return
  are allowed in the multi-line fields below, and at the ends of single-line values, where a
  scanner puts them), and lone surrogates (what undecodable bytes become);
- values longer than MAX_FIELD_CHARS, or than the tighter limit a form sets in FORM_LIMITS.

Below those limits a form's own checks (lending.web.struct_form and the handlers) refuse a value
that is too long for its field with a message on the re-rendered form, as the API does.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from ..circulation import FieldError, Invalid
from ..circulation.text import text_problem

__all__ = [
    "FORM_LIMITS",
    "MAX_FIELD_CHARS",
    "MULTI_LINE",
    "FormRefused",
    "checked_form",
    "read_form",
    "refuse_hostile_form",
]

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

MAX_FIELD_CHARS = 10_000
MAX_CSV_CHARS = 20 * 1024 * 1024  # a CSV carried from an import's dry run, as the upload limit

# The <textarea> fields (and the reasons, notes and descriptions that may run to several lines).
MULTI_LINE = frozenset(
    {"block_reason", "csv_text", "damage", "notes", "problem", "reason", "resolution", "steps"}
)

# Secrets are held to what a password or PIN can be before anything hashes them. An over-long
# username or card gets the login form's own answer ("Wrong username or password.", nothing
# looked up: lending.services.access.auth refuses it before the database).
FORM_LIMITS: dict[str, dict[str, int]] = {
    "/login": {"password": 1024},
    "/my/login": {"pin": 64},
}


class FormRefused(Invalid):
    """A form value no field can accept: answered with the error page (status 422)."""

    def __init__(self, errors: list[FieldError]) -> None:
        fields = "; ".join(f"{e.field.replace('_', ' ')}: {e.message}" for e in errors)
        super().__init__(errors, detail=f"The form was not accepted. {fields}.")


def _limit(path: str, name: str) -> int:
    tighter = FORM_LIMITS.get(path, {}).get(name)
    if tighter is not None:
        return tighter
    return MAX_CSV_CHARS if name == "csv_text" else MAX_FIELD_CHARS


def refused_fields(path: str, items: list[tuple[str, Any]]) -> list[FieldError]:
    """The fields (name, value) of a form posted to `path` that no handler may be given."""
    errors: list[FieldError] = []
    seen: set[str] = set()
    for name, value in items:
        problem = text_problem(name, max_chars=200, multi_line=False)
        if problem is None and isinstance(value, str):
            problem = text_problem(
                value, max_chars=_limit(path, name), multi_line=name in MULTI_LINE
            )
        if problem is not None and name not in seen:
            seen.add(name)
            errors.append(FieldError(name[:40] if text_problem(name) is None else "field", problem))
    return errors


async def checked_form(request: Request) -> Any:
    """`request.form()` (files included) once every text value has passed; FormRefused if not."""
    try:
        form = await request.form()
    except UnicodeDecodeError:  # a multipart field whose bytes are not UTF-8
        raise FormRefused([FieldError("form", "must be UTF-8 text")]) from None
    errors = refused_fields(request.url.path, list(form.multi_items()))
    if errors:
        raise FormRefused(errors)
    return form


async def read_form(request: Request) -> dict[str, str]:
    """The submitted form as {name: text}, checked; the first value wins, files are ignored."""
    values: dict[str, str] = {}
    for name, value in (await checked_form(request)).multi_items():
        if isinstance(value, str) and name not in values:
            values[name] = value
    return values


async def refuse_hostile_form(request: Request) -> None:
    """Litestar `before_request` hook: FormRefused for a form body with a value no field takes."""
    if request.method in ("POST", "PUT", "PATCH") and request.content_type[0] in _FORM_TYPES:
        await checked_form(request)
