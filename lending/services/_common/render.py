"""Shaping rows for output: times in a branch's zone, money in currency units."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

__all__ = ["cents_to_amount", "render_date", "render_time", "zone"]


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def render_time(value: datetime | None, timezone: str) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone(timezone)).isoformat(timespec="seconds")


def render_date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def cents_to_amount(cents: int | None) -> float:
    return round((cents or 0) / 100, 2)
