"""A card's standing for warnings (lending.circulation.cards), how a hold slip names the patron
(lending.web.desk.scan.slip_name) and the LENDING_HOLD_SLIP_NAME setting (issue 12)."""

from datetime import date

import pytest

from lending.circulation import card_standing
from lending.settings import Settings, SettingsError
from lending.web.desk.scan import slip_name

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("expires_on", "worst", "days_left"),
    [
        (None, "ok", None),
        (date(2027, 6, 1), "ok", 182),
        (date(2026, 12, 31), "expiring", 30),  # within 30 days
        (date(2027, 1, 1), "ok", 31),
        (date(2026, 12, 1), "expiring", 0),  # still valid today, as checkout judges it
        (date(2026, 11, 30), "expired", -1),
    ],
)
def test_a_card_is_expired_expiring_within_30_days_or_fine(expires_on, worst, days_left):
    standing = card_standing(False, expires_on, TODAY)
    assert (standing.worst, standing.days_left) == (worst, days_left)
    assert standing.ok is (worst == "ok")


def test_a_blocked_card_is_shown_as_blocked_even_when_it_has_expired():
    standing = card_standing(True, date(2020, 1, 1), TODAY)
    assert standing.worst == "blocked" and standing.expired and not standing.ok


def test_a_hold_slip_names_the_patron_by_initials_or_in_full():
    assert slip_name("James Ali", "initials") == "J. A."
    assert slip_name("maría  de la Vega", "initials") == "M. D. L. V."
    assert slip_name("James Ali", "full") == "James Ali"


def test_the_hold_slip_setting_defaults_to_initials_and_refuses_other_values():
    assert Settings.from_env({}).hold_slip_name == "initials"
    assert Settings.from_env({"LENDING_HOLD_SLIP_NAME": " Full "}).hold_slip_name == "full"
    with pytest.raises(SettingsError, match="LENDING_HOLD_SLIP_NAME"):
        Settings.from_env({"LENDING_HOLD_SLIP_NAME": "surname"})
