"""A loan made on a vehicle is due on a day the vehicle is back at the stop where it was lent."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from lending.circulation import BranchCalendar, LoanPolicy, stop_lent_at, vehicle_due_at
from lending.circulation.schedules import StopPattern

CHICAGO = BranchCalendar.of("America/Chicago")
# Tuesday 2026-12-01, 10:30 in Chicago.
NOW = datetime(2026, 12, 1, 16, 30, tzinfo=UTC)
HOTSPOT = LoanPolicy("hotspot")  # 21 days
HOMES = StopPattern(1, "Cabrini Homes", 1, time(10), time(12), date(2026, 12, 1), every_weeks=2)
SCHOOL = StopPattern(2, "Lincoln School", 3, time(15), time(17), date(2026, 12, 3))


def _local_day(moment: datetime) -> date:
    return CHICAGO.local_date(moment)


def test_a_loan_made_at_a_stop_is_due_when_the_vehicle_is_back_at_that_stop():
    due = vehicle_due_at(HOTSPOT, CHICAGO, NOW, [HOMES, SCHOOL], lent_at_stop=1)
    # 21 days is Tue 22 Dec, an off week for the homes: back there Tue 29 Dec.
    assert _local_day(due) == date(2026, 12, 29)
    assert due == CHICAGO.end_of(date(2026, 12, 29))


def test_a_loan_made_between_stops_is_due_at_the_first_stop_of_any_kind():
    due = vehicle_due_at(HOTSPOT, CHICAGO, NOW, [HOMES, SCHOOL])
    assert _local_day(due) == date(2026, 12, 24)  # the school on Thursday


def test_cancelled_visits_and_closed_days_are_skipped():
    closed = BranchCalendar.of("America/Chicago", [date(2026, 12, 29)])
    due = vehicle_due_at(
        HOTSPOT, closed, NOW, [HOMES], cancelled={(1, date(2027, 1, 12))}, lent_at_stop=1
    )
    assert _local_day(due) == date(2027, 1, 26)


def test_without_a_visit_within_a_year_the_policy_due_date_stands():
    ended = StopPattern(1, "Cabrini Homes", 1, time(10), time(12), date(2026, 1, 6),
                        date(2026, 12, 1))  # fmt: skip
    due = vehicle_due_at(HOTSPOT, CHICAGO, NOW, [ended], lent_at_stop=1)
    assert _local_day(due) == date(2026, 12, 22)


def test_the_stop_lent_at_is_the_one_in_progress_else_the_days_first():
    other = StopPattern(3, "Altgeld Gardens", 1, time(14), time(16), date(2026, 12, 1))
    today = date(2026, 12, 1)
    assert stop_lent_at([other, HOMES], set(), today, time(10, 30)) == 1
    assert stop_lent_at([other, HOMES], set(), today, time(15)) == 3
    assert stop_lent_at([other, HOMES], set(), today, time(13)) == 1
    assert stop_lent_at([other, HOMES], {(1, today)}, today, time(10, 30)) == 3
    assert stop_lent_at([SCHOOL], set(), today, time(10, 30)) is None
