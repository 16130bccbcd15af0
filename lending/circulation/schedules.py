"""When service points are open: weekly hours for a branch, partner site or locker; stops for a
vehicle (bookmobile, mobile lab), each at one place on one weekday every few weeks in a season.
`first_stop_day` gives a vehicle loan's due day. Pure rules: no clock, no storage, no framework.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import StrEnum

from .errors import FieldError, Invalid

__all__ = [
    "VEHICLE_TYPES",
    "WEEKDAYS",
    "OpenHours",
    "ServicePointType",
    "StopPattern",
    "StopVisit",
    "check_stop",
    "first_stop_day",
    "open_on",
    "parse_weekly_hours",
    "visits",
    "weekly_hours_json",
]


class ServicePointType(StrEnum):
    BRANCH = "branch"
    BOOKMOBILE = "bookmobile"
    MOBILE_LAB = "mobile_lab"
    PARTNER_SITE = "partner_site"
    LOCKER = "locker"


VEHICLE_TYPES: frozenset[ServicePointType] = frozenset(
    {ServicePointType.BOOKMOBILE, ServicePointType.MOBILE_LAB}
)
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday()

MAX_INTERVALS_A_DAY = 6
MAX_PLACE_LENGTH = 200
MAX_EVERY_WEEKS = 8
MAX_RANGE_DAYS = 400
_HH_MM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


@dataclass(frozen=True)
class OpenHours:
    weekday: int  # 0 = Monday
    opens: time
    closes: time  # opens < closes


def _time_of(text: object) -> time | None:
    """A "HH:MM" string as a time, None for anything else."""
    match = _HH_MM.fullmatch(text) if isinstance(text, str) else None
    return time(int(match[1]), int(match[2])) if match else None


def _hh_mm(moment: time) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def parse_weekly_hours(value: object, field: str = "hours") -> tuple[OpenHours, ...]:
    """`{"mon": [["09:00", "17:00"]], "sat": [["10:00", "13:00"], ["14:00", "16:00"]]}` ->
    OpenHours sorted by weekday, opens. Raises Invalid with one FieldError per problem (fields
    like "hours.mon[1]"): not an object, an unknown day, a day not a list, an interval not two
    "HH:MM" strings, opens >= closes, overlapping intervals (touching ones are fine), more than
    6 intervals a day. An empty object is fine: no fixed hours."""
    if not isinstance(value, dict):
        raise Invalid(FieldError(field, 'must be an object such as {"mon": [["09:00", "17:00"]]}'))
    errors: list[FieldError] = []
    hours: list[OpenHours] = []
    for key, intervals in value.items():
        where = f"{field}.{key}"
        if key not in WEEKDAYS:
            errors.append(FieldError(where, f"unknown day; use one of {', '.join(WEEKDAYS)}"))
            continue
        if not isinstance(intervals, list | tuple):
            errors.append(FieldError(where, 'must be a list of ["HH:MM", "HH:MM"] intervals'))
            continue
        if len(intervals) > MAX_INTERVALS_A_DAY:
            errors.append(FieldError(where, f"at most {MAX_INTERVALS_A_DAY} intervals a day"))
            continue
        day: list[tuple[int, OpenHours]] = []
        for index, interval in enumerate(intervals):
            at = f"{where}[{index}]"
            if not isinstance(interval, list | tuple) or len(interval) != 2:
                errors.append(FieldError(at, 'must be ["HH:MM", "HH:MM"]'))
                continue
            opens, closes = _time_of(interval[0]), _time_of(interval[1])
            if opens is None or closes is None:
                errors.append(FieldError(at, "times must be HH:MM, from 00:00 to 23:59"))
            elif opens >= closes:
                errors.append(FieldError(at, "must close after it opens"))
            else:
                day.append((index, OpenHours(WEEKDAYS.index(key), opens, closes)))
        latest: OpenHours | None = None  # of the intervals so far, the one that closes last
        for index, span in sorted(day, key=lambda item: (item[1].opens, item[1].closes)):
            if latest is not None and span.opens < latest.closes:
                message = f"overlaps {_hh_mm(latest.opens)}-{_hh_mm(latest.closes)}"
                errors.append(FieldError(f"{where}[{index}]", message))
            if latest is None or span.closes > latest.closes:
                latest = span
        hours.extend(item for _, item in day)
    if errors:
        raise Invalid(errors)
    return tuple(sorted(hours, key=lambda h: (h.weekday, h.opens, h.closes)))


def weekly_hours_json(hours: Iterable[OpenHours]) -> dict[str, list[list[str]]]:
    """The inverse of `parse_weekly_hours`: only days that have hours, times as "HH:MM"."""
    result: dict[str, list[list[str]]] = {}
    for h in sorted(hours, key=lambda h: (h.weekday, h.opens, h.closes)):
        result.setdefault(WEEKDAYS[h.weekday], []).append([_hh_mm(h.opens), _hh_mm(h.closes)])
    return result


def open_on(hours: Iterable[OpenHours], day: date) -> bool:
    """Whether any interval falls on the weekday of `day`."""
    return any(h.weekday == day.weekday() for h in hours)


def _first_weekday_on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


@dataclass(frozen=True)
class StopPattern:
    """A vehicle's regular stop in one season: at `place` on `weekday` from `starts` to `ends`,
    every `every_weeks` weeks, counting from the first such weekday on or after `season_starts`,
    until `season_ends` (inclusive; None = open-ended)."""

    id: int
    place: str
    weekday: int
    starts: time
    ends: time
    season_starts: date
    season_ends: date | None = None
    every_weeks: int = 1

    def occurs_on(self, day: date) -> bool:
        first = _first_weekday_on_or_after(self.season_starts, self.weekday)
        if day < first or (self.season_ends is not None and day > self.season_ends):
            return False
        return (day - first).days % (7 * self.every_weeks) == 0


def check_stop(
    place: str,
    weekday: int,
    starts: time,
    ends: time,
    season_starts: date,
    season_ends: date | None,
    every_weeks: int,
) -> None:
    """Raise Invalid, one FieldError per problem, unless: the place is 1 to 200 characters, the
    weekday 0..6, starts < ends, the season ends on or after it starts, every_weeks is 1 to 8
    and the season holds at least one occurrence."""
    errors: list[FieldError] = []
    if not place.strip():
        errors.append(FieldError("place", "required"))
    elif len(place.strip()) > MAX_PLACE_LENGTH:
        errors.append(FieldError("place", f"at most {MAX_PLACE_LENGTH} characters"))
    if not 0 <= weekday <= 6:
        errors.append(FieldError("weekday", "must be 0 (Monday) to 6 (Sunday)"))
    if starts >= ends:
        errors.append(FieldError("ends", "must be after the stop starts"))
    if season_ends is not None and season_ends < season_starts:
        errors.append(FieldError("season_ends", "must not be before the season starts"))
    if not 1 <= every_weeks <= MAX_EVERY_WEEKS:
        errors.append(FieldError("every_weeks", f"must be 1 to {MAX_EVERY_WEEKS}"))
    checkable = season_ends is not None and not any(
        e.field in ("weekday", "season_ends") for e in errors
    )
    if checkable and _first_weekday_on_or_after(season_starts, weekday) > season_ends:
        errors.append(FieldError("season_ends", f"the season has no {WEEKDAYS[weekday]}"))
    if errors:
        raise Invalid(errors)


@dataclass(frozen=True)
class StopVisit:
    day: date
    stop_id: int
    place: str
    starts: time
    ends: time
    cancelled: bool


def visits(
    stops: Iterable[StopPattern], cancelled: Collection[tuple[int, date]], start: date, end: date
) -> list[StopVisit]:
    """Every occurrence of every stop from `start` to `end` inclusive, ordered by (day, starts,
    stop_id); an occurrence whose (stop_id, day) is in `cancelled` is listed with
    cancelled=True. ValueError if end < start or the range covers more than 400 days."""
    if end < start:
        raise ValueError("the range ends before it starts")
    count = (end - start).days + 1
    if count > MAX_RANGE_DAYS:
        raise ValueError(f"the range covers {count} days, more than {MAX_RANGE_DAYS}")
    stops = tuple(stops)
    found = [
        StopVisit(day, s.id, s.place, s.starts, s.ends, (s.id, day) in cancelled)
        for day in (start + timedelta(days=n) for n in range(count))
        for s in stops
        if s.occurs_on(day)
    ]
    return sorted(found, key=lambda v: (v.day, v.starts, v.stop_id))


def first_stop_day(
    stops: Iterable[StopPattern],
    on_or_after: date,
    *,
    stop_id: int | None = None,
    cancelled: Collection[tuple[int, date]] = (),
    closed: Collection[date] = (),
    horizon_days: int = 400,
) -> date | None:
    """The first day on or after `on_or_after` when the vehicle makes a stop (only that stop when
    `stop_id` is given) that is not cancelled and not on a closed day; None when there is none in
    the `horizon_days` days from `on_or_after` on. A loan made at a stop is due the first day the
    vehicle is back at that stop on or after the policy's due date."""
    chosen = tuple(s for s in stops if stop_id is None or s.id == stop_id)
    for day in (on_or_after + timedelta(days=n) for n in range(horizon_days)):
        if day not in closed and any(
            s.occurs_on(day) and (s.id, day) not in cancelled for s in chosen
        ):
            return day
    return None
