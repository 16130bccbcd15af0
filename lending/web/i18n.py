"""Page text in English and Spanish. Staff pages are in English; the resident portal follows the
patron's language and can be switched on every page. Keys are short English phrases' ids."""

from __future__ import annotations

from collections.abc import Callable

from .messages import MESSAGES

__all__ = ["translator"]


def translator(language: str) -> Callable[..., str]:
    """`t(key, **values)`: the text for `key` in `language`, falling back to English, then to
    the key itself (so a missing translation shows up plainly instead of crashing a page)."""
    table = MESSAGES.get(language, MESSAGES["en"])
    fallback = MESSAGES["en"]

    def t(key: str, **values: object) -> str:
        text = table.get(key) or fallback.get(key) or key
        return text.format(**values) if values else text

    return t
