"""Notice wording, dates for people in English and Spanish, retry waits and settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lending.jobs import JOBS
from lending.notify.render import (
    KINDS_WITH_TEMPLATES,
    DeviceInfo,
    Library,
    NoticeFacts,
    format_money,
    format_when,
    render_email,
    render_notice,
    render_sms,
)
from lending.services.notices.delivery import retry_delay
from lending.settings import Settings, SettingsError

CHICAGO = "America/Chicago"
DUE = datetime(2026, 12, 23, 5, 59, 59, tzinfo=UTC)  # Tuesday 2026-12-22 23:59:59 in Chicago
LIBRARY = Library("Springfield Library", "+1 555 0100", "https://library.example/renew")


def facts(kind: str, language: str = "en", **changes) -> NoticeFacts:
    values = dict(
        kind=kind,
        language=language,
        timezone=CHICAGO,
        patron_name="Ana",
        device=DeviceInfo("hotspot", "Netgear LM1200", "DEV001"),
        loan_kind="hotspot",
        due_at=DUE,
        max_renewals=2,
        suspend_after_days=3,
        lost_after_days=30 if kind == "overdue" else None,
        replacement_cost_cents=10000,
        ready_until=DUE,
        branch="Main",
    )
    values.update(changes)
    return NoticeFacts(**values)


def test_due_date_reads_naturally_in_english_and_spanish():
    assert format_when(DUE, CHICAGO, "en") == "Tuesday, December 22 at 11:59 PM"
    assert format_when(DUE, CHICAGO, "es") == "martes 22 de diciembre a las 23:59"


def test_times_around_midnight_and_noon_use_the_twelve_hour_clock_in_english_only():
    midnight = datetime(2026, 3, 1, 6, 5, tzinfo=UTC)  # 00:05 in Chicago
    noon = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)
    assert format_when(midnight, CHICAGO, "en") == "Sunday, March 1 at 12:05 AM"
    assert format_when(noon, CHICAGO, "en") == "Sunday, March 1 at 12:00 PM"
    assert format_when(midnight, CHICAGO, "es") == "domingo 1 de marzo a las 00:05"


def test_dates_follow_the_library_zone_across_daylight_saving_time():
    summer = datetime(2026, 7, 1, 4, 59, 59, tzinfo=UTC)  # 23:59:59 CDT on June 30
    assert format_when(summer, CHICAGO, "en") == "Tuesday, June 30 at 11:59 PM"
    assert format_when(summer, "America/New_York", "es") == "miércoles 1 de julio a las 00:59"


def test_unknown_language_falls_back_to_english():
    assert format_when(DUE, CHICAGO, "fr") == "Tuesday, December 22 at 11:59 PM"


def test_money_reads_as_dollars_and_cents():
    assert format_money(10000) == "$100.00"
    assert format_money(123456) == "$1,234.56"
    assert format_money(None) == "$0.00"


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("kind", [*KINDS_WITH_TEMPLATES, "something_new"])
def test_every_kind_renders_in_both_languages_with_the_device(kind, language):
    now = DUE + timedelta(days=8) if kind in ("overdue", "lost") else DUE - timedelta(days=2)
    text = render_notice(facts(kind, language), LIBRARY, now)
    assert text.subject and text.short and text.body
    assert "{{" not in text.body and "None" not in text.body
    if kind != "something_new":
        assert "hotspot" in text.body
    if kind in ("due_soon", "overdue", "lost", "renewed"):
        assert "DEV001" in text.body and "Netgear LM1200" in text.body


def test_laptop_reminder_says_nothing_about_internet_service():
    laptop = facts(
        "due_soon",
        device=DeviceInfo("laptop", "ThinkPad", "DEV004"),
        loan_kind="laptop",
        suspend_after_days=None,
    )
    text = render_notice(laptop, LIBRARY, DUE - timedelta(days=2))
    assert "internet" not in text.body
    assert text.subject == "Reminder: your laptop is due Tuesday, December 22 at 11:59 PM"


def test_spanish_laptop_is_a_computadora_portatil():
    laptop = facts("due_soon", "es", device=DeviceInfo("laptop", "ThinkPad", "DEV004"))
    text = render_notice(laptop, LIBRARY, DUE - timedelta(days=2))
    assert text.subject == (
        "Recordatorio: su computadora portátil vence el martes 22 de diciembre a las 23:59"
    )


def test_overdue_hotspot_past_the_suspension_day_says_service_is_being_cut():
    text = render_notice(facts("overdue"), LIBRARY, DUE + timedelta(days=8))
    assert "is now 8 days late" in text.body
    assert "internet service is being turned off because it is more than 3 days late" in text.body
    assert "marked lost" in text.body and "Friday, January 22 at 11:59 PM" not in text.body
    assert "Thursday, January 21 at 11:59 PM" in text.body


def test_last_renewal_says_it_cannot_be_renewed_again():
    text = render_notice(facts("due_soon", renewals=2), LIBRARY, DUE - timedelta(days=2))
    assert "cannot be renewed again" in text.body and "Please bring it back to Main" in text.body


def test_lost_notice_names_the_charge_and_how_to_have_it_removed():
    text = render_notice(facts("lost", "es"), LIBRARY, DUE + timedelta(days=31))
    assert "cargo de reposición de $100.00" in text.body
    assert "quitaremos el cargo" in text.body


def test_bundle_has_one_greeting_one_renewal_line_and_a_summary_subject():
    now = DUE - timedelta(days=2)
    parts = [
        render_notice(facts("due_soon"), LIBRARY, now),
        render_notice(
            facts("hold_ready", device=DeviceInfo("laptop", "X1", "DEV004")), LIBRARY, now
        ),
    ]
    subject, body = render_email(parts, LIBRARY, "en", "Ana")
    assert subject == (
        "2 notices from Springfield Library: hotspot due soon, laptop ready for pickup"
    )
    assert body.count("Hello Ana,") == 1 and body.count("To renew") == 1
    assert body.endswith("Springfield Library")


def test_message_without_renewable_loans_does_not_talk_about_renewing():
    text = render_notice(facts("hold_expired"), LIBRARY, DUE)
    _, body = render_email([text], LIBRARY, "en", "Ana")
    assert "renew" not in body.lower()
    assert "Questions? Call us at +1 555 0100." in body


def test_sms_is_one_line_with_the_renewal_link():
    now = DUE - timedelta(days=2)
    sms = render_sms([render_notice(facts("due_soon", "es"), LIBRARY, now)], LIBRARY, "es")
    assert "\n" not in sms
    assert sms.startswith("Springfield Library: Su hotspot DEV001 vence el martes 22 de diciembre")
    assert sms.endswith("Renueve en https://library.example/renew o llame al +1 555 0100.")


def test_retry_waits_double_from_five_minutes_up_to_six_hours():
    waits = [retry_delay(n) // timedelta(minutes=1) for n in range(1, 10)]
    assert waits == [5, 10, 20, 40, 80, 160, 320, 360, 360]


def test_notice_settings_are_read_from_the_environment():
    settings = Settings.from_env(
        {
            "LENDING_SMTP_HOST": "smtp.example.org",
            "LENDING_SMTP_PORT": "2525",
            "LENDING_SMTP_USERNAME": "library",
            "LENDING_SMTP_PASSWORD": "hunter2",
            "LENDING_SMTP_STARTTLS": "false",
            "LENDING_MAIL_FROM": "library@example.org",
            "LENDING_SMS_WEBHOOK_URL": "https://sms.example.org/send",
            "LENDING_SMS_WEBHOOK_TOKEN": "t0ken",
            "LENDING_LIBRARY_PHONE": "+1 555 0100",
            "LENDING_RENEW_URL": "https://library.example/renew",
            "LENDING_ADMIN_EMAIL": "admins@example.org",
        }
    )
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_starttls) == (
        "smtp.example.org",
        2525,
        False,
    )
    assert settings.sms_webhook_url == "https://sms.example.org/send"
    assert settings.admin_email == "admins@example.org"
    assert "hunter2" not in repr(settings) and "t0ken" not in repr(settings)
    assert Settings.from_env({}).smtp_starttls is None


@pytest.mark.parametrize(
    "env",
    [
        {"LENDING_SMTP_PORT": "70000"},
        {"LENDING_SMTP_PORT": "smtp"},
        {"LENDING_SMTP_STARTTLS": "maybe"},
        {"LENDING_SMS_WEBHOOK_URL": "sms.example.org"},
    ],
)
def test_bad_notice_settings_are_refused_with_the_setting_named(env):
    with pytest.raises(SettingsError, match=next(iter(env))):
        Settings.from_env(env)


def test_deliver_notices_is_a_registered_job():
    assert "deliver_notices" in JOBS
