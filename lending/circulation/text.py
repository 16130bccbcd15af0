"""Text the product accepts from people and programs, wherever it arrives (an API body, a page
form): no NUL or other control characters (tab, line feed and carriage return are allowed in
multi-line text, and at either end of a single-line value, where a scanner in keyboard mode puts
them), no lone surrogates (UTF-16 halves that no encoding can store), and a bounded
length. PostgreSQL refuses NUL and unencodable text outright, SQLite would store it: both are
refused before any database call, the same way on both.
"""

from __future__ import annotations

import re

__all__ = ["text_problem"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_MULTI_LINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def text_problem(
    value: str, *, max_chars: int | None = None, multi_line: bool = True
) -> str | None:
    """Why `value` cannot be accepted, in words for the person who sent it; None when it can."""
    if max_chars is not None and len(value) > max_chars:
        return f"Use at most {max_chars} characters."
    if "\x00" in value:
        return "must not contain NUL characters"
    checked = value if multi_line else value.strip(" \t\r\n")
    if (_CONTROL_MULTI_LINE if multi_line else _CONTROL).search(checked):
        return "must not contain control characters" + (
            "" if multi_line else " (such as tabs or line breaks)"
        )
    if _SURROGATE.search(value):
        return "must not contain unpaired surrogate characters"
    return None
