"""Dates and times for people, in English or Spanish, without the system locale.

    format_when("2026-12-08T19:59:00-06:00", "en")  -> "Tuesday, December 8, 7:59 PM"
    format_when("2026-12-08T19:59:00-06:00", "es")  -> "martes, 8 de diciembre, 19:59"

A time keeps the zone it carries (the services render a branch's times with that branch's offset,
so a due date reads as the branch's own clock); a naive time is taken as UTC and shown in
`timezone` (the library's zone). The year is added when it is not the year of `today`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from ..words import DAY_NAMES, MONTH_NAMES

__all__ = ["format_date", "format_when", "parse_time"]

_DAYS = DAY_NAMES
_MONTHS = MONTH_NAMES


def parse_time(value: str | datetime | None, timezone: str = "UTC") -> datetime | None:
    """An aware datetime from an ISO 8601 string or a datetime (naive means UTC), or None."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone))
    return value


def format_date(day: date, language: str, *, today: date | None = None) -> str:
    """The day in words, e.g. Tuesday, December 8 / martes, 8 de diciembre (the year is added
    when it is not the year of `today`)."""
    lang = language if language in _DAYS else "en"
    weekday = _DAYS[lang][day.weekday()]
    month = _MONTHS[lang][day.month - 1]
    show_year = today is not None and today.year != day.year
    if lang == "es":
        text = f"{weekday}, {day.day} de {month}"
        return f"{text} de {day.year}" if show_year else text
    text = f"{weekday}, {month} {day.day}"
    return f"{text}, {day.year}" if show_year else text


def _clock(moment: datetime, lang: str) -> str:
    if lang == "es":
        return f"{moment.hour:02d}:{moment.minute:02d}"
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def format_when(
    value: str | datetime | None,
    language: str,
    *,
    timezone: str = "UTC",
    today: date | None = None,
) -> str:
    """Weekday, date and time in `language`; "" for no value."""
    moment = parse_time(value, timezone)
    if moment is None:
        return ""
    lang = language if language in _DAYS else "en"
    return f"{format_date(moment.date(), lang, today=today)}, {_clock(moment, lang)}"
