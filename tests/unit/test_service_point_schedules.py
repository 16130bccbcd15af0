"""Service point schedules (lending.circulation.schedules): weekly hours, vehicle stops, the
visits in a range and the first stop day a vehicle loan falls due on. Dates are pinned: 2027-03-01
is a Monday."""

from datetime import date, time, timedelta

import pytest

from lending.circulation.errors import Invalid
from lending.circulation.schedules import (
    VEHICLE_TYPES,
    WEEKDAYS,
    OpenHours,
    ServicePointType,
    StopPattern,
    StopVisit,
    check_stop,
    first_stop_day,
    open_on,
    parse_weekly_hours,
    visits,
    weekly_hours_json,
)

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
SEASON = date(2027, 3, 1)  # a Monday


def d(month: int, day: int, year: int = 2027) -> date:
    return date(year, month, day)


def stop(
    id: int = 1,
    weekday: int = TUE,
    *,
    place: str = "Elm Street School",
    starts: time = time(10, 0),
    ends: time = time(12, 0),
    season_starts: date = SEASON,
    season_ends: date | None = None,
    every_weeks: int = 1,
) -> StopPattern:
    return StopPattern(id, place, weekday, starts, ends, season_starts, season_ends, every_weeks)


def fields_of(excinfo: pytest.ExceptionInfo[Invalid]) -> list[str]:
    return [e.field for e in excinfo.value.errors]


def invalid_hours(value: object) -> list[str]:
    with pytest.raises(Invalid) as excinfo:
        parse_weekly_hours(value)
    return fields_of(excinfo)


def invalid_stop(**changes: object) -> list[str]:
    facts: dict[str, object] = {
        "place": "Elm Street School",
        "weekday": TUE,
        "starts": time(10, 0),
        "ends": time(12, 0),
        "season_starts": SEASON,
        "season_ends": d(6, 30),
        "every_weeks": 2,
    }
    with pytest.raises(Invalid) as excinfo:
        check_stop(**{**facts, **changes})  # type: ignore[arg-type]
    return fields_of(excinfo)


# --- service point types and weekly hours ------------------------------------------------------


def test_bookmobiles_and_mobile_labs_are_the_vehicles():
    assert sorted(VEHICLE_TYPES) == [ServicePointType.BOOKMOBILE, ServicePointType.MOBILE_LAB]
    assert ServicePointType("partner_site") is ServicePointType.PARTNER_SITE


def test_weekdays_are_indexed_like_date_weekday():
    assert WEEKDAYS[SEASON.weekday()] == "mon"
    assert WEEKDAYS[d(3, 7).weekday()] == "sun"


def test_weekly_hours_are_parsed_sorted_by_weekday_then_opening_time():
    hours = parse_weekly_hours(
        {"sat": [["14:00", "16:00"], ["10:00", "13:00"]], "mon": [["09:00", "17:00"]]}
    )
    assert hours == (
        OpenHours(MON, time(9, 0), time(17, 0)),
        OpenHours(SAT, time(10, 0), time(13, 0)),
        OpenHours(SAT, time(14, 0), time(16, 0)),
    )


def test_weekly_hours_survive_a_round_trip_through_json():
    value = {"mon": [["09:00", "17:00"]], "sat": [["10:00", "13:00"], ["14:00", "16:00"]]}
    assert weekly_hours_json(parse_weekly_hours(value)) == value
    hours = parse_weekly_hours(value)
    assert parse_weekly_hours(weekly_hours_json(hours)) == hours


def test_json_hours_list_only_days_with_hours_in_weekday_order():
    hours = [OpenHours(SUN, time(12, 0), time(16, 0)), OpenHours(TUE, time(9, 5), time(17, 0))]
    assert weekly_hours_json(hours) == {"tue": [["09:05", "17:00"]], "sun": [["12:00", "16:00"]]}
    assert list(weekly_hours_json(hours)) == ["tue", "sun"]
    assert weekly_hours_json(parse_weekly_hours({"wed": []})) == {}


def test_an_empty_object_means_no_fixed_hours():
    assert parse_weekly_hours({}) == ()
    assert weekly_hours_json(()) == {}


def test_intervals_that_only_touch_do_not_overlap():
    hours = parse_weekly_hours({"thu": [["12:00", "17:00"], ["09:00", "12:00"]]})
    assert [(h.opens, h.closes) for h in hours] == [(time(9), time(12)), (time(12), time(17))]


def test_a_branch_is_open_on_a_day_whose_weekday_has_any_interval():
    hours = parse_weekly_hours({"mon": [["09:00", "17:00"]], "sat": [["10:00", "13:00"]]})
    assert open_on(hours, d(3, 1))
    assert open_on(hours, d(3, 6))
    assert not open_on(hours, d(3, 2))
    assert not open_on((), d(3, 1))


def test_hours_that_are_not_an_object_are_refused_on_the_field_itself():
    assert invalid_hours([["09:00", "17:00"]]) == ["hours"]
    with pytest.raises(Invalid) as excinfo:
        parse_weekly_hours("9 to 5", field="branch.hours")
    assert fields_of(excinfo) == ["branch.hours"]


def test_an_unknown_day_is_refused_on_its_key():
    assert invalid_hours({"monday": [["09:00", "17:00"]]}) == ["hours.monday"]


def test_a_day_that_is_not_a_list_is_refused():
    assert invalid_hours({"mon": "09:00-17:00"}) == ["hours.mon"]


@pytest.mark.parametrize(
    "interval",
    [["09:00"], ["09:00", "12:00", "17:00"], "09:00-17:00", [9, 17], [None, "17:00"]],
)
def test_an_interval_that_is_not_two_hh_mm_strings_is_refused_on_its_index(interval):
    assert invalid_hours({"tue": [["08:00", "09:00"], interval]}) == ["hours.tue[1]"]


@pytest.mark.parametrize("bad", ["24:00", "9:00", "09:60", "09:00:00", "noon", " 09:00"])
def test_a_bad_time_is_refused_on_its_interval(bad):
    assert invalid_hours({"wed": [[bad, "23:00"]]}) == ["hours.wed[0]"]


@pytest.mark.parametrize("interval", [["17:00", "09:00"], ["09:00", "09:00"]])
def test_an_interval_must_close_after_it_opens(interval):
    assert invalid_hours({"fri": [interval]}) == ["hours.fri[0]"]


def test_overlapping_intervals_are_refused_on_the_later_one():
    assert invalid_hours({"sat": [["12:00", "16:00"], ["10:00", "13:00"]]}) == ["hours.sat[0]"]


def test_an_interval_inside_a_long_one_overlaps_even_after_a_short_one():
    value = {"sun": [["09:00", "17:00"], ["10:00", "11:00"], ["12:00", "13:00"]]}
    assert invalid_hours(value) == ["hours.sun[1]", "hours.sun[2]"]


def test_at_most_six_intervals_a_day():
    six = [[f"{h:02d}:00", f"{h:02d}:30"] for h in range(8, 14)]
    assert len(parse_weekly_hours({"mon": six})) == 6
    assert invalid_hours({"mon": [*six, ["15:00", "16:00"]]}) == ["hours.mon"]


def test_every_problem_in_the_hours_gets_its_own_field_error():
    value = {"mon": [["09:00", "08:00"]], "xyz": [], "tue": 5, "wed": [["25:00", "26:00"]]}
    assert invalid_hours(value) == ["hours.mon[0]", "hours.xyz", "hours.tue", "hours.wed[0]"]


# --- stop patterns ----------------------------------------------------------------------------


def test_a_weekly_stop_visits_every_week_from_the_first_such_weekday_of_the_season():
    weekly = stop(weekday=THU)
    assert not weekly.occurs_on(d(2, 25))  # a Thursday before the season
    assert [weekly.occurs_on(d(3, n)) for n in (4, 11, 18)] == [True, True, True]
    assert not weekly.occurs_on(d(3, 5))  # a Friday


def test_a_stop_every_other_tuesday_visits_on_alternate_weeks_only():
    fortnightly = stop(weekday=TUE, every_weeks=2)
    tuesdays = [d(3, 2) + timedelta(weeks=n) for n in range(6)]
    assert [fortnightly.occurs_on(day) for day in tuesdays] == [True, False] * 3
    assert [v.day for v in visits([fortnightly], (), SEASON, d(4, 30))] == [
        d(3, 2),
        d(3, 16),
        d(3, 30),
        d(4, 13),
        d(4, 27),
    ]


def test_alternate_weeks_are_counted_from_the_first_weekday_on_or_after_the_season_start():
    # The season starts on a Wednesday: the first Tuesday is 2027-03-09, not 2027-03-02.
    late = stop(weekday=TUE, every_weeks=2, season_starts=d(3, 3))
    assert [v.day for v in visits([late], (), SEASON, d(4, 10))] == [d(3, 9), d(3, 23), d(4, 6)]
    # A season starting on the stop's weekday counts that very day.
    on_the_day = stop(weekday=TUE, every_weeks=3, season_starts=d(3, 2))
    assert [v.day for v in visits([on_the_day], (), SEASON, d(4, 10))] == [d(3, 2), d(3, 23)]


def test_the_season_end_is_inclusive():
    spring = stop(weekday=TUE, season_ends=d(3, 16))
    assert spring.occurs_on(d(3, 16))
    assert not spring.occurs_on(d(3, 23))
    assert [v.day for v in visits([spring], (), SEASON, d(4, 30))] == [d(3, 2), d(3, 9), d(3, 16)]


def test_an_open_ended_season_goes_on_for_years():
    forever = stop(weekday=MON, every_weeks=4)
    assert forever.occurs_on(SEASON + timedelta(weeks=4 * 100))
    assert not forever.occurs_on(SEASON + timedelta(weeks=4 * 100 + 1))


def test_summer_and_winter_at_the_same_place_are_two_patterns():
    summer = stop(1, SAT, place="Lakeside Park", season_starts=d(6, 1), season_ends=d(8, 31))
    winter = stop(
        2,
        WED,
        place="Lakeside Park",
        starts=time(15, 0),
        ends=time(17, 0),
        season_starts=d(9, 1),
        season_ends=d(5, 31, 2028),
    )
    days = [(v.day, v.stop_id) for v in visits([summer, winter], (), d(8, 20), d(9, 10))]
    assert days == [(d(8, 21), 1), (d(8, 28), 1), (d(9, 1), 2), (d(9, 8), 2)]
    assert first_stop_day([summer, winter], d(8, 29)) == d(9, 1)


def test_visits_are_ordered_by_day_then_start_time_then_stop():
    afternoon = stop(3, TUE, place="Library Plaza", starts=time(14, 0), ends=time(15, 0))
    morning = stop(7, TUE, place="Elm Street School", starts=time(9, 0), ends=time(10, 0))
    also_morning = stop(5, TUE, place="Oak Senior Centre", starts=time(9, 0), ends=time(9, 45))
    monday = stop(9, MON, place="Market Square")
    listed = visits([afternoon, morning, also_morning, monday], (), SEASON, d(3, 2))
    assert [(v.day, v.stop_id) for v in listed] == [
        (d(3, 1), 9),
        (d(3, 2), 5),
        (d(3, 2), 7),
        (d(3, 2), 3),
    ]
    assert listed[1] == StopVisit(
        d(3, 2), 5, "Oak Senior Centre", time(9, 0), time(9, 45), cancelled=False
    )


def test_visits_list_a_cancelled_occurrence_marked_as_cancelled():
    listed = visits([stop(1, TUE)], {(1, d(3, 9)), (2, d(3, 16))}, SEASON, d(3, 16))
    assert [(v.day, v.cancelled) for v in listed] == [
        (d(3, 2), False),
        (d(3, 9), True),
        (d(3, 16), False),
    ]


def test_visits_include_both_ends_of_the_range():
    listed = visits([stop(1, TUE)], (), d(3, 2), d(3, 9))
    assert [v.day for v in listed] == [d(3, 2), d(3, 9)]
    assert visits([stop(1, TUE)], (), d(3, 3), d(3, 8)) == []


def test_visits_refuse_a_range_that_ends_before_it_starts():
    with pytest.raises(ValueError):
        visits([stop()], (), d(3, 2), d(3, 1))


def test_visits_cover_at_most_four_hundred_days():
    assert len(visits([stop(weekday=MON)], (), SEASON, SEASON + timedelta(days=399))) == 58
    with pytest.raises(ValueError):
        visits([stop()], (), SEASON, SEASON + timedelta(days=400))


# --- first stop day: a vehicle loan's due date -------------------------------------------------


def test_the_first_stop_day_can_be_the_day_itself():
    assert first_stop_day([stop(1, TUE)], d(3, 2)) == d(3, 2)
    assert first_stop_day([stop(1, TUE)], d(3, 3)) == d(3, 9)


def test_a_loan_made_at_a_stop_is_due_when_the_vehicle_is_back_at_that_stop():
    school = stop(1, TUE, every_weeks=2)
    park = stop(2, THU, place="Lakeside Park")
    assert first_stop_day([school, park], d(3, 17)) == d(3, 18)
    assert first_stop_day([school, park], d(3, 17), stop_id=1) == d(3, 30)
    assert first_stop_day([school, park], d(3, 17), stop_id=99) is None


def test_the_first_stop_day_skips_a_cancelled_occurrence():
    school = stop(1, TUE, every_weeks=2)
    assert first_stop_day([school], d(3, 10), cancelled={(1, d(3, 16))}) == d(3, 30)
    # Cancelling another stop's occurrence on that day does not matter.
    assert first_stop_day([school], d(3, 10), cancelled=[(2, d(3, 16))]) == d(3, 16)


def test_a_cancelled_stop_does_not_hide_another_stop_the_same_day():
    school, plaza = stop(1, TUE), stop(2, TUE, place="Library Plaza", starts=time(14, 0))
    assert first_stop_day([school, plaza], d(3, 2), cancelled={(1, d(3, 2))}) == d(3, 2)
    assert first_stop_day([school, plaza], d(3, 2), stop_id=1, cancelled={(1, d(3, 2))}) == d(3, 9)


def test_the_first_stop_day_skips_closed_days():
    weekly = stop(1, TUE)
    assert first_stop_day([weekly], d(3, 2), closed={d(3, 2), d(3, 9)}) == d(3, 16)


def test_the_first_stop_day_is_none_past_the_season_end():
    spring = stop(1, TUE, season_ends=d(3, 16))
    assert first_stop_day([spring], d(3, 16)) == d(3, 16)
    assert first_stop_day([spring], d(3, 17)) is None
    assert first_stop_day([], d(3, 1)) is None


def test_the_first_stop_day_looks_only_horizon_days_ahead():
    every_eight_weeks = stop(1, MON, every_weeks=8)  # 2027-03-01, then 2027-04-26
    assert first_stop_day([every_eight_weeks], d(3, 2), horizon_days=10) is None
    assert first_stop_day([every_eight_weeks], d(3, 2), horizon_days=55) is None
    assert first_stop_day([every_eight_weeks], d(3, 2), horizon_days=56) == d(4, 26)
    assert first_stop_day([every_eight_weeks], d(3, 2)) == d(4, 26)


def test_a_stop_closed_on_every_visit_within_the_horizon_gives_none():
    weekly = stop(1, WED)
    wednesdays = {d(3, 3) + timedelta(weeks=n) for n in range(60)}
    assert first_stop_day([weekly], SEASON, closed=wednesdays) is None
    assert first_stop_day([weekly], SEASON, closed=wednesdays, horizon_days=430) == d(4, 26, 2028)


# --- checking a stop before it is saved --------------------------------------------------------


def test_a_sensible_stop_passes_the_check():
    check_stop("Elm Street School", TUE, time(10), time(12), SEASON, d(6, 30), 2)
    check_stop("Elm Street School", SUN, time(10), time(12), SEASON, None, 8)
    check_stop("x" * 200, MON, time(10), time(12), SEASON, SEASON, 1)  # a one-day season


@pytest.mark.parametrize("place", ["", "   ", " " + "x" * 201])
def test_a_stop_needs_a_place_of_at_most_two_hundred_characters(place):
    assert invalid_stop(place=place) == ["place"]


@pytest.mark.parametrize("weekday", [-1, 7])
def test_a_stop_weekday_is_zero_to_six(weekday):
    assert invalid_stop(weekday=weekday) == ["weekday"]


@pytest.mark.parametrize("starts", [time(12, 0), time(13, 0)])
def test_a_stop_ends_after_it_starts(starts):
    assert invalid_stop(starts=starts) == ["ends"]


def test_a_season_cannot_end_before_it_starts():
    assert invalid_stop(season_ends=d(2, 28)) == ["season_ends"]


@pytest.mark.parametrize("every_weeks", [0, 9, -2])
def test_a_stop_repeats_every_one_to_eight_weeks(every_weeks):
    assert invalid_stop(every_weeks=every_weeks) == ["every_weeks"]


def test_a_season_without_a_single_occurrence_is_refused():
    # 2027-03-01 (Monday) to 2027-03-06 (Saturday) holds no Sunday.
    assert invalid_stop(weekday=SUN, season_ends=d(3, 6)) == ["season_ends"]
    check_stop("Elm Street School", SUN, time(10), time(12), SEASON, d(3, 7), 1)


def test_every_problem_with_a_stop_gets_its_own_field_error():
    fields = invalid_stop(place="", weekday=9, starts=time(12), every_weeks=0)
    assert fields == ["place", "weekday", "ends", "every_weeks"]
