"""Reading a page form with the API's own request structs, so a form accepts exactly what the
API accepts (lengths, ranges, enumerations) and every field gets its own error in plain words.

`form_values(form, DeviceIn, ["model", ...])` -> (values, errors): each field is converted on its
own (msgspec, text coerced to numbers), so an empty model and a wrong-typed cost are both
reported at once. An empty field that may be null becomes None; checkboxes become booleans.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterable
from functools import cache
from typing import Any

import msgspec

from ..circulation import Invalid, LendingError

__all__ = ["errors_of", "form_values", "plain_error", "struct_fields"]

_NONE = type(None)


@cache
def _hints(struct: type) -> dict[str, Any]:
    return typing.get_type_hints(struct, include_extras=True)


def struct_fields(struct: type) -> tuple[str, ...]:
    return tuple(struct.__struct_fields__)  # type: ignore[attr-defined]


def _without_unset(hint: Any) -> tuple[Any, bool]:
    """The field's type without UnsetType, and whether it allows None."""
    args = (
        typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else ()
    )
    if not args:
        return hint, hint is _NONE
    kept = tuple(a for a in args if a is not msgspec.UnsetType)
    nullable = _NONE in kept
    return (typing.Union[kept] if len(kept) > 1 else kept[0]), nullable  # noqa: UP007


def _number(text: str) -> str:
    try:
        value = float(text)
    except ValueError:
        return text
    return str(int(value)) if value.is_integer() else text


def plain_error(message: str) -> str:
    """msgspec's validation message for one value, in words a person can act on."""
    text = message.split(" - at ", 1)[0]
    if m := re.match(r"Expected `str` of length >= (\d+)", text):
        return (
            "This field is required." if m.group(1) == "1" else f"Use at least {m[1]} characters."
        )
    if m := re.match(r"Expected `str` of length <= (\d+)", text):
        return f"Use at most {m[1]} characters."
    if m := re.match(r"Expected `(?:float|int)` >= (\S+)", text):
        return f"Enter a number of at least {_number(m[1])}."
    if m := re.match(r"Expected `(?:float|int)` <= (\S+)", text):
        return f"Enter a number no more than {_number(m[1])}."
    if re.match(r"Expected `(?:float|int)", text):
        return "Enter a number."
    if text.startswith(("Invalid enumeration value", "Invalid enum value")):
        return "Choose one of the listed values."
    if text.startswith("Expected `str` matching regex"):
        return "This value has characters that are not allowed here."
    if re.match(r"Expected `(?:date|datetime)`", text) or "Invalid RFC3339" in text:
        return "Enter a date as YYYY-MM-DD."
    return text


def form_values(
    form: dict[str, str],
    struct: type,
    fields: Iterable[str],
    *,
    checkboxes: Iterable[str] = (),
    strip: bool = True,
) -> tuple[dict[str, Any], dict[str, str]]:
    hints = _hints(struct)
    boxes = set(checkboxes)
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in fields:
        raw = form.get(name, "")
        if name in boxes:
            values[name] = raw.lower() in ("on", "true", "1", "yes")
            continue
        hint, nullable = _without_unset(hints[name])
        text = raw.strip() if strip else raw
        if text == "" and nullable:
            values[name] = None
            continue
        try:
            values[name] = msgspec.convert(text, hint, strict=False)
        except msgspec.ValidationError as exc:
            errors[name] = plain_error(str(exc))
    return values, errors


def errors_of(exc: LendingError, fields: Iterable[str], *, default: str = "form") -> dict[str, str]:
    """A service refusal as {field: message}: an Invalid's field errors next to their fields
    (unknown fields go to the form), anything else as one message for the whole form."""
    known = set(fields)
    errors: dict[str, str] = {}
    if isinstance(exc, Invalid):
        for e in exc.errors:
            key = e.field if e.field in known else default
            message = e.message[:1].upper() + e.message[1:]
            errors.setdefault(key, message if key != default else f"{e.field}: {e.message}")
        return errors
    return {default: exc.detail}
