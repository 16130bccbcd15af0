"""Due dates: one function of (days, calendar, now). The calendar knows the branch's zone and
closed dates; `now` is always passed in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["BranchCalendar", "end_of_day_after", "renewal_due_at"]

_END_OF_DAY = time(23, 59, 59)
_MAX_SKIP = 366


@dataclass(frozen=True)
class BranchCalendar:
    timezone: ZoneInfo
    closed: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def of(cls, timezone: str, closed: Iterable[date] = ()) -> BranchCalendar:
        return cls(ZoneInfo(timezone), frozenset(closed))

    def local_date(self, moment: datetime) -> date:
        return _aware(moment).astimezone(self.timezone).date()

    def next_open_date(self, day: date) -> date:
        """`day` itself when open, otherwise the first open date after it."""
        for _ in range(_MAX_SKIP):
            if day not in self.closed:
                return day
            day += timedelta(days=1)
        return day  # a branch closed for a whole year: give the date a year on

    def end_of(self, day: date) -> datetime:
        """The last second of `day` in the branch's zone, as an aware UTC datetime."""
        local = datetime.combine(day, _END_OF_DAY, tzinfo=self.timezone).replace(fold=1)
        return local.astimezone(UTC)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("times must carry a time zone")
    return moment


def end_of_day_after(days: int, calendar: BranchCalendar, now: datetime) -> datetime:
    """End of the branch's day `days` after `now`, moved past closed dates."""
    day = calendar.local_date(now) + timedelta(days=days)
    return calendar.end_of(calendar.next_open_date(day))


def renewal_due_at(
    renewal_days: int, calendar: BranchCalendar, current_due: datetime, now: datetime
) -> datetime:
    """Count `renewal_days` from the later of the current due date and today."""
    base = max(calendar.local_date(current_due), calendar.local_date(now))
    day = base + timedelta(days=renewal_days)
    return calendar.end_of(calendar.next_open_date(day))
