"""Due dates: end of the branch's local day, DST, closed dates, renewals
(lending.circulation.calendar and the due-date helpers in rules)."""

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from lending.circulation import (
    BranchCalendar,
    LoanPolicy,
    checkout_due_at,
    end_of_day_after,
    hold_ready_until,
    renewal_due_at,
    renewed_due_at,
)
from lending.circulation.rules import LoanFacts

CHICAGO = ZoneInfo("America/Chicago")
CST = timezone(timedelta(hours=-6))
CDT = timezone(timedelta(hours=-5))
END_OF_DAY = time(23, 59, 59)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def chicago(closed=()) -> BranchCalendar:
    return BranchCalendar.of("America/Chicago", closed)


def local(moment: datetime, zone: ZoneInfo = CHICAGO) -> datetime:
    return moment.astimezone(zone)


def assert_end_of_local_day(moment: datetime, day: date, zone: ZoneInfo = CHICAGO) -> None:
    assert moment.tzinfo is not None
    here = local(moment, zone)
    assert here.date() == day
    assert here.time() == END_OF_DAY


# --- end_of_day_after: the basic rule ---------------------------------------------------------


def test_due_at_end_of_the_local_day_loan_days_after_checkout():
    now = utc(2026, 6, 1, 15, 0)  # 10:00 CDT on 1 June
    due = end_of_day_after(21, chicago(), now)
    assert due == datetime(2026, 6, 22, 23, 59, 59, tzinfo=CDT)
    assert due == utc(2026, 6, 23, 4, 59, 59)


def test_due_at_is_returned_as_an_aware_utc_datetime():
    due = end_of_day_after(21, chicago(), utc(2026, 6, 1, 15, 0))
    assert due.utcoffset() == timedelta(0)


def test_zero_days_means_the_end_of_today():
    due = end_of_day_after(0, chicago(), utc(2026, 6, 1, 15, 0))
    assert_end_of_local_day(due, date(2026, 6, 1))


def test_time_of_day_at_checkout_does_not_change_the_due_moment():
    morning = end_of_day_after(14, chicago(), datetime(2026, 6, 1, 9, 0, tzinfo=CHICAGO))
    evening = end_of_day_after(14, chicago(), datetime(2026, 6, 1, 20, 45, tzinfo=CHICAGO))
    assert morning == evening


def test_late_evening_utc_that_is_still_the_previous_local_day_counts_from_the_local_date():
    now = utc(2026, 12, 1, 3, 30)  # 21:30 CST on 30 November
    due = end_of_day_after(14, chicago(), now)
    assert due == datetime(2026, 12, 14, 23, 59, 59, tzinfo=CST)
    # Counting from the UTC date would have given 15 December.
    assert end_of_day_after(14, BranchCalendar.of("UTC"), now) == utc(2026, 12, 15, 23, 59, 59)


def test_last_second_of_a_local_day_and_the_first_second_of_the_next_differ_by_one_day():
    before_midnight = utc(2026, 12, 1, 5, 59, 59)  # 23:59:59 CST on 30 November
    at_midnight = utc(2026, 12, 1, 6, 0, 0)  # 00:00:00 CST on 1 December
    assert_end_of_local_day(end_of_day_after(7, chicago(), before_midnight), date(2026, 12, 7))
    assert_end_of_local_day(end_of_day_after(7, chicago(), at_midnight), date(2026, 12, 8))


def test_the_same_instant_in_any_offset_gives_the_same_due_date():
    instant = utc(2026, 12, 1, 3, 30)
    tokyo = instant.astimezone(ZoneInfo("Asia/Tokyo"))  # already 1 December in Tokyo
    fixed = instant.astimezone(timezone(timedelta(hours=5, minutes=30)))
    due = end_of_day_after(14, chicago(), instant)
    assert end_of_day_after(14, chicago(), tokyo) == due
    assert end_of_day_after(14, chicago(), fixed) == due


def test_due_date_follows_the_branch_zone_not_the_zone_of_now():
    now = utc(2026, 6, 1, 2, 0)  # 31 May in Chicago, 1 June in Berlin
    assert_end_of_local_day(end_of_day_after(1, chicago(), now), date(2026, 6, 1))
    berlin = BranchCalendar.of("Europe/Berlin")
    due = end_of_day_after(1, berlin, now)
    assert_end_of_local_day(due, date(2026, 6, 2), ZoneInfo("Europe/Berlin"))


def test_loan_crossing_new_year_counts_calendar_days():
    due = end_of_day_after(21, chicago(), datetime(2026, 12, 20, 12, 0, tzinfo=CHICAGO))
    assert_end_of_local_day(due, date(2027, 1, 10))


def test_loan_crossing_a_leap_day_counts_it():
    due = end_of_day_after(1, chicago(), datetime(2028, 2, 28, 12, 0, tzinfo=CHICAGO))
    assert_end_of_local_day(due, date(2028, 2, 29))


def test_every_day_of_a_year_is_due_at_235959_local_days_later():
    calendar = chicago()
    start = datetime(2026, 1, 1, 12, 0, tzinfo=CHICAGO)
    for offset in range(366):
        now = start + timedelta(days=offset)
        due = end_of_day_after(14, calendar, now)
        assert_end_of_local_day(due, now.date() + timedelta(days=14))


# --- daylight saving time ---------------------------------------------------------------------


def test_loan_spanning_the_march_change_is_due_at_235959_central_daylight_time():
    now = datetime(2026, 3, 1, 12, 0, tzinfo=CHICAGO)  # CST, UTC-6
    due = end_of_day_after(14, chicago(), now)
    assert_end_of_local_day(due, date(2026, 3, 15))
    assert local(due).utcoffset() == timedelta(hours=-5)
    assert due == utc(2026, 3, 16, 4, 59, 59)


def test_loan_due_on_the_day_clocks_spring_forward_uses_the_daylight_offset():
    now = datetime(2026, 3, 1, 12, 0, tzinfo=CHICAGO)
    due = end_of_day_after(7, chicago(), now)  # 8 March 2026: 02:00 CST -> 03:00 CDT
    assert due == datetime(2026, 3, 8, 23, 59, 59, tzinfo=CDT)


def test_loan_checked_out_on_the_spring_forward_day_counts_from_that_local_date():
    now = utc(2026, 3, 8, 8, 30)  # 03:30 CDT, just after the change
    assert_end_of_local_day(end_of_day_after(1, chicago(), now), date(2026, 3, 9))


def test_loan_spanning_the_november_change_is_due_at_235959_central_standard_time():
    now = datetime(2026, 10, 25, 12, 0, tzinfo=CHICAGO)  # CDT, UTC-5
    due = end_of_day_after(14, chicago(), now)
    assert_end_of_local_day(due, date(2026, 11, 8))
    assert local(due).utcoffset() == timedelta(hours=-6)
    assert due == utc(2026, 11, 9, 5, 59, 59)


def test_loan_due_on_the_day_clocks_fall_back_uses_the_standard_offset():
    now = datetime(2026, 10, 25, 12, 0, tzinfo=CHICAGO)
    due = end_of_day_after(7, chicago(), now)  # 1 November 2026: 02:00 CDT -> 01:00 CST
    assert due == datetime(2026, 11, 1, 23, 59, 59, tzinfo=CST)


def test_checkout_in_the_repeated_hour_of_the_fall_back_night_counts_from_that_local_date():
    first = utc(2026, 11, 1, 6, 30)  # 01:30 CDT
    second = utc(2026, 11, 1, 7, 30)  # 01:30 CST, the same wall time an hour later
    assert end_of_day_after(1, chicago(), first) == end_of_day_after(1, chicago(), second)
    assert_end_of_local_day(end_of_day_after(1, chicago(), first), date(2026, 11, 2))


def test_end_of_a_local_day_is_a_day_minus_a_second_after_its_start_except_across_dst():
    calendar = chicago()
    normal = calendar.end_of(date(2026, 6, 1)) - calendar.end_of(date(2026, 5, 31))
    spring = calendar.end_of(date(2026, 3, 8)) - calendar.end_of(date(2026, 3, 7))
    autumn = calendar.end_of(date(2026, 11, 1)) - calendar.end_of(date(2026, 10, 31))
    assert normal == timedelta(hours=24)
    assert spring == timedelta(hours=23)
    assert autumn == timedelta(hours=25)


def test_end_of_day_is_the_later_2359_when_clocks_fall_back_at_midnight():
    santiago = BranchCalendar.of("America/Santiago")
    # 5 April 2026 00:00 -03 becomes 4 April 23:00 -04, so 23:59:59 on 4 April happens twice.
    assert santiago.end_of(date(2026, 4, 4)) == utc(2026, 4, 5, 3, 59, 59)


# --- closed dates -----------------------------------------------------------------------------


def test_due_date_moves_past_a_closed_date():
    now = datetime(2026, 6, 1, 12, 0, tzinfo=CHICAGO)
    due = end_of_day_after(21, chicago(closed=[date(2026, 6, 22)]), now)
    assert_end_of_local_day(due, date(2026, 6, 23))


def test_due_date_moves_past_consecutive_closed_dates():
    now = datetime(2026, 12, 4, 12, 0, tzinfo=CHICAGO)
    closed = [date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 26), date(2026, 12, 27)]
    due = end_of_day_after(20, chicago(closed), now)
    assert_end_of_local_day(due, date(2026, 12, 28))


def test_closed_dates_inside_the_loan_period_do_not_extend_it():
    now = datetime(2026, 6, 1, 12, 0, tzinfo=CHICAGO)
    closed = [date(2026, 6, 2), date(2026, 6, 10), date(2026, 6, 21)]
    due = end_of_day_after(21, chicago(closed), now)
    assert_end_of_local_day(due, date(2026, 6, 22))


def test_closed_dates_after_the_due_date_are_ignored_when_the_due_date_is_open():
    now = datetime(2026, 6, 1, 12, 0, tzinfo=CHICAGO)
    due = end_of_day_after(21, chicago(closed=[date(2026, 6, 23)]), now)
    assert_end_of_local_day(due, date(2026, 6, 22))


def test_a_gap_between_closed_dates_is_used_as_the_due_date():
    now = datetime(2026, 6, 1, 12, 0, tzinfo=CHICAGO)
    closed = [date(2026, 6, 22), date(2026, 6, 24)]
    due = end_of_day_after(21, chicago(closed), now)
    assert_end_of_local_day(due, date(2026, 6, 23))


def test_a_due_date_pushed_across_the_november_change_still_ends_at_235959_local():
    now = datetime(2026, 10, 17, 12, 0, tzinfo=CHICAGO)
    closed = [date(2026, 10, 31)]
    due = end_of_day_after(14, chicago(closed), now)
    assert due == datetime(2026, 11, 1, 23, 59, 59, tzinfo=CST)


def test_zero_day_loan_on_a_closed_date_moves_to_the_next_open_date():
    now = datetime(2026, 7, 4, 12, 0, tzinfo=CHICAGO)
    due = end_of_day_after(0, chicago(closed=[date(2026, 7, 4)]), now)
    assert_end_of_local_day(due, date(2026, 7, 5))


def test_due_date_is_never_on_a_closed_date():
    # Close every Sunday and Monday and a run of holidays; check a whole year of checkouts.
    start = date(2026, 1, 1)
    days_ahead = (start + timedelta(days=i) for i in range(400))
    closed = {day for day in days_ahead if day.weekday() in (0, 6)}
    closed |= {date(2026, 12, d) for d in range(20, 32)}
    calendar = chicago(closed)
    for offset in range(365):
        day = start + timedelta(days=offset)
        for days in (1, 7, 14, 21):
            due = end_of_day_after(days, calendar, datetime.combine(day, time(12), CHICAGO))
            due_day = local(due).date()
            assert due_day not in closed
            assert due_day >= day + timedelta(days=days)
            assert local(due).time() == END_OF_DAY


def test_next_open_date_is_the_day_itself_when_open():
    assert chicago().next_open_date(date(2026, 6, 1)) == date(2026, 6, 1)


def test_next_open_date_skips_a_run_of_closed_dates():
    closed = [date(2026, 6, 1) + timedelta(days=i) for i in range(10)]
    assert chicago(closed).next_open_date(date(2026, 6, 1)) == date(2026, 6, 11)


def test_a_branch_closed_for_more_than_a_year_gives_a_date_a_year_on_rather_than_looping():
    start = date(2026, 1, 1)
    closed = [start + timedelta(days=i) for i in range(1000)]
    assert chicago(closed).next_open_date(start) == start + timedelta(days=366)


# --- BranchCalendar ---------------------------------------------------------------------------


def test_branch_calendar_accepts_any_iterable_of_closed_dates():
    calendar = BranchCalendar.of("America/Chicago", (d for d in [date(2026, 6, 22)]))
    assert calendar.closed == frozenset({date(2026, 6, 22)})
    assert calendar.timezone == CHICAGO


def test_branch_calendar_has_no_closed_dates_by_default():
    assert BranchCalendar.of("America/Chicago").closed == frozenset()
    assert BranchCalendar(CHICAGO).closed == frozenset()


def test_branch_calendar_rejects_an_unknown_time_zone():
    with pytest.raises(ZoneInfoNotFoundError):
        BranchCalendar.of("America/Springfield")


def test_local_date_is_the_date_on_the_branch_wall_clock():
    assert chicago().local_date(utc(2026, 12, 1, 3, 30)) == date(2026, 11, 30)
    assert chicago().local_date(utc(2026, 12, 1, 6, 0)) == date(2026, 12, 1)


def test_end_of_a_day_is_its_last_second_in_the_branch_zone():
    assert chicago().end_of(date(2026, 1, 15)) == utc(2026, 1, 16, 5, 59, 59)
    assert chicago().end_of(date(2026, 7, 15)) == utc(2026, 7, 16, 4, 59, 59)


# --- naive datetimes --------------------------------------------------------------------------


def test_naive_now_is_rejected_when_computing_a_due_date():
    with pytest.raises(ValueError, match="time zone"):
        end_of_day_after(21, chicago(), datetime(2026, 6, 1, 12, 0))


def test_naive_moment_is_rejected_by_local_date():
    with pytest.raises(ValueError):
        chicago().local_date(datetime(2026, 6, 1, 12, 0))


def test_naive_now_is_rejected_when_renewing():
    with pytest.raises(ValueError):
        renewal_due_at(21, chicago(), utc(2026, 6, 23, 4, 59, 59), datetime(2026, 6, 10, 12, 0))


def test_naive_current_due_date_is_rejected_when_renewing():
    with pytest.raises(ValueError):
        renewal_due_at(21, chicago(), datetime(2026, 6, 22, 23, 59, 59), utc(2026, 6, 10, 12, 0))


# --- renewals ---------------------------------------------------------------------------------

JUNE_22_DUE = datetime(2026, 6, 22, 23, 59, 59, tzinfo=CHICAGO)


def test_renewing_early_counts_from_the_current_due_date():
    now = datetime(2026, 6, 10, 12, 0, tzinfo=CHICAGO)
    due = renewal_due_at(21, chicago(), JUNE_22_DUE, now)
    assert_end_of_local_day(due, date(2026, 7, 13))


def test_renewing_an_overdue_loan_counts_from_today():
    now = datetime(2026, 6, 30, 12, 0, tzinfo=CHICAGO)
    due = renewal_due_at(21, chicago(), JUNE_22_DUE, now)
    assert_end_of_local_day(due, date(2026, 7, 21))


def test_renewing_on_the_due_date_counts_from_that_date():
    now = datetime(2026, 6, 22, 18, 0, tzinfo=CHICAGO)
    due = renewal_due_at(21, chicago(), JUNE_22_DUE, now)
    assert_end_of_local_day(due, date(2026, 7, 13))


def test_renewing_late_in_the_evening_utc_on_the_local_due_date_is_not_yet_overdue():
    now = utc(2026, 6, 23, 2, 0)  # 21:00 CDT on 22 June, already 23 June in UTC
    due = renewal_due_at(21, chicago(), JUNE_22_DUE, now)
    assert_end_of_local_day(due, date(2026, 7, 13))


def test_renewing_just_after_local_midnight_past_the_due_date_counts_from_the_new_day():
    now = utc(2026, 6, 23, 5, 0, 30)  # 00:00:30 CDT on 23 June
    due = renewal_due_at(21, chicago(), JUNE_22_DUE, now)
    assert_end_of_local_day(due, date(2026, 7, 14))


def test_renewal_due_date_moves_past_closed_dates():
    now = datetime(2026, 6, 10, 12, 0, tzinfo=CHICAGO)
    closed = [date(2026, 7, 13), date(2026, 7, 14)]
    due = renewal_due_at(21, chicago(closed), JUNE_22_DUE, now)
    assert_end_of_local_day(due, date(2026, 7, 15))


def test_renewal_across_the_november_change_is_due_at_235959_standard_time():
    current = datetime(2026, 10, 20, 23, 59, 59, tzinfo=CHICAGO)
    due = renewal_due_at(14, chicago(), current, datetime(2026, 10, 15, 12, tzinfo=CHICAGO))
    assert due == datetime(2026, 11, 3, 23, 59, 59, tzinfo=CST)


def test_renewal_reads_the_current_due_date_in_the_branch_zone():
    # Stored as UTC: 23 June 04:59:59Z is still 22 June in Chicago.
    current = utc(2026, 6, 23, 4, 59, 59)
    due = renewal_due_at(7, chicago(), current, utc(2026, 6, 1, 12, 0))
    assert_end_of_local_day(due, date(2026, 6, 29))


# --- the policy-driven helpers in rules ---------------------------------------------------------


def test_checkout_due_at_uses_the_policy_loan_days():
    now = datetime(2026, 6, 1, 12, 0, tzinfo=CHICAGO)
    due = checkout_due_at(LoanPolicy("laptop", loan_days=14), chicago(), now)
    assert_end_of_local_day(due, date(2026, 6, 15))


def test_checkout_due_at_moves_past_closed_dates():
    now = datetime(2026, 6, 1, 12, 0, tzinfo=CHICAGO)
    due = checkout_due_at(LoanPolicy("laptop", loan_days=14), chicago([date(2026, 6, 15)]), now)
    assert_end_of_local_day(due, date(2026, 6, 16))


def test_hold_ready_until_uses_the_policy_pickup_days_and_skips_closed_dates():
    now = datetime(2026, 6, 1, 12, 0, tzinfo=CHICAGO)
    policy = LoanPolicy("hotspot", hold_pickup_days=3)
    assert_end_of_local_day(hold_ready_until(policy, chicago(), now), date(2026, 6, 4))
    closed = chicago([date(2026, 6, 4)])
    assert_end_of_local_day(hold_ready_until(policy, closed, now), date(2026, 6, 5))


def test_renewed_due_at_uses_the_policy_renewal_days_and_the_loan_due_date():
    loan = LoanFacts(status="active", renewals=0, due_at=JUNE_22_DUE, patron_blocked=False)
    policy = LoanPolicy("laptop", loan_days=14, renewal_days=7)
    early = renewed_due_at(loan, policy, chicago(), datetime(2026, 6, 20, 9, tzinfo=CHICAGO))
    late = renewed_due_at(loan, policy, chicago(), datetime(2026, 6, 25, 9, tzinfo=CHICAGO))
    assert_end_of_local_day(early, date(2026, 6, 29))
    assert_end_of_local_day(late, date(2026, 7, 2))
