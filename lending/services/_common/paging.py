"""The list envelope: {"items": [...], "total": N}, a typed `Page` (lending/schemas/base.py)."""

from __future__ import annotations

from typing import TypeVar

from ...schemas.base import Page

__all__ = ["Page", "page_of"]

T = TypeVar("T")


def page_of(items: list[T], total: int) -> Page[T]:
    return Page(items=items, total=total)
