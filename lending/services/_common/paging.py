"""The list envelope: {"items": [...], "total": N}."""

from __future__ import annotations

from typing import Any, TypedDict

__all__ = ["Page", "page_of"]


class Page(TypedDict):
    items: list[dict[str, Any]]
    total: int


def page_of(items: list[dict[str, Any]], total: int) -> Page:
    return {"items": items, "total": total}
