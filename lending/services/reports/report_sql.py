"""SQL pieces that differ between PostgreSQL and SQLite, for the reports: time as a number of
days, the larger/smaller of two values, a typed parameter, a number from a JSON detail."""

from __future__ import annotations

from datetime import UTC, datetime

from ...database import is_postgres

__all__ = ["days", "days_value", "greatest", "hold_of_event", "least", "param"]

_UNIX_JULIAN = 2440587.5  # julianday('1970-01-01')


def days(column: str) -> str:
    """`column` (a time) as a number of days; differences are durations in days."""
    if is_postgres():
        return f"(EXTRACT(EPOCH FROM {column})::float8 / 86400.0)"
    return f"julianday({column})"


def days_value(when: datetime) -> float:
    """What `days()` gives for `when`, computed here (a parameter)."""
    epoch_days = when.astimezone(UTC).timestamp() / 86400.0
    return epoch_days if is_postgres() else epoch_days + _UNIX_JULIAN


def greatest(a: str, b: str) -> str:
    return f"GREATEST({a}, {b})" if is_postgres() else f"MAX({a}, {b})"


def least(a: str, b: str) -> str:
    return f"LEAST({a}, {b})" if is_postgres() else f"MIN({a}, {b})"


def param(kind: str) -> str:
    """A placeholder, typed where PostgreSQL cannot infer it (float8, timestamptz, text)."""
    return f"{{}}::{kind}" if is_postgres() else "{}"


def hold_of_event(alias: str = "e") -> str:
    """The hold id in a `hold_ready` event's details."""
    if is_postgres():
        return f"CAST({alias}.details->>'hold' AS bigint)"
    return f"CAST(json_extract({alias}.details, '$.hold') AS INTEGER)"
