"""Dates and times on the resident pages, in English and Spanish, without the system locale."""

from __future__ import annotations

from datetime import UTC, date, datetime

from lending.web.dates import format_when


def test_a_due_time_reads_as_weekday_date_and_clock_in_each_language():
    due = "2026-12-08T19:59:00-06:00"
    assert format_when(due, "en") == "Tuesday, December 8, 7:59 PM"
    assert format_when(due, "es") == "martes, 8 de diciembre, 19:59"


def test_midnight_and_noon_read_as_12_am_and_12_pm_in_english():
    assert format_when("2026-12-09T00:05:00-06:00", "en").endswith("12:05 AM")
    assert format_when("2026-12-09T12:00:00-06:00", "en").endswith("12:00 PM")
    assert format_when("2026-12-09T00:05:00-06:00", "es").endswith("00:05")


def test_the_year_is_shown_only_when_it_is_not_this_year():
    today = date(2026, 12, 20)
    assert format_when("2027-01-05T23:59:00-06:00", "en", today=today) == (
        "Tuesday, January 5, 2027, 11:59 PM"
    )
    assert format_when("2027-01-05T23:59:00-06:00", "es", today=today) == (
        "martes, 5 de enero de 2027, 23:59"
    )
    assert "2026" not in format_when("2026-12-29T23:59:00-06:00", "en", today=today)


def test_a_time_without_a_zone_is_shown_in_the_library_zone_and_no_time_is_blank():
    naive_utc = datetime(2026, 12, 9, 1, 30)  # 19:30 the day before in Chicago
    assert format_when(naive_utc, "en", timezone="America/Chicago") == (
        "Tuesday, December 8, 7:30 PM"
    )
    assert format_when(datetime(2026, 12, 9, 1, 30, tzinfo=UTC), "es") == (
        "miércoles, 9 de diciembre, 01:30"
    )
    assert format_when(None, "en") == ""
    assert format_when("not a date", "en") == ""
