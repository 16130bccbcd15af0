"""Shaping rows for typed results: times in a branch's zone, money in currency units.

Services put `local_time(...)` (an aware datetime in the branch's zone, to the second) into
their result Structs; the edges format it: msgspec writes ISO 8601 with the offset in JSON,
pages and CSV use `render_time`'s string or their own words."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

__all__ = ["cents_to_amount", "local_time", "render_date", "render_time", "zone"]


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_time(value: datetime | None, timezone: str) -> datetime | None:
    """`value` in the zone `timezone`, to the second (naive values are UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone(timezone)).replace(microsecond=0)


def render_time(value: datetime | None, timezone: str | None = None) -> str | None:
    """ISO 8601 with the offset, to the second; in `timezone` when given, else as it is."""
    if value is None:
        return None
    if timezone is not None:
        value = local_time(value, timezone)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat(timespec="seconds")


def render_date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def cents_to_amount(cents: int | None) -> float:
    return round((cents or 0) / 100, 2)
