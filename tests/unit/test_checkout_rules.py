"""Checkout decisions (lending.circulation.rules.can_check_out)."""

import dataclasses
from datetime import date, timedelta

import pytest

from lending.circulation import (
    Conflict,
    DeviceFacts,
    LoanPolicy,
    PatronFacts,
    Refusal,
    can_check_out,
    can_place_hold,
)

TODAY = date(2026, 6, 1)
PATRON_ID = 7
OTHER_PATRON_ID = 8
NOT_AVAILABLE = ["on_loan", "in_processing", "in_repair", "lost", "retired"]


def device(status: str = "available", held_for_patron: int | None = None) -> DeviceFacts:
    return DeviceFacts(barcode="LAP-0001", status=status, held_for_patron=held_for_patron)


def patron(**overrides) -> PatronFacts:
    facts = {
        "id": PATRON_ID,
        "blocked": False,
        "block_reason": None,
        "expires_on": TODAY + timedelta(days=365),
        "active_loans_of_kind": 0,
        "household_active_loans_of_kind": None,
    }
    facts.update(overrides)
    return PatronFacts(**facts)


def policy(patron_limit: int = 1, household_limit: int = 2) -> LoanPolicy:
    return LoanPolicy(
        "laptop",
        max_active_loans_per_patron=patron_limit,
        max_active_loans_per_household=household_limit,
    )


def refusal_code(d: DeviceFacts, p: PatronFacts, pol: LoanPolicy | None = None) -> str | None:
    refusal = can_check_out(d, p, pol or policy(), TODAY)
    return None if refusal is None else refusal.code


# --- allowed ----------------------------------------------------------------------------------


def test_checkout_allowed_for_an_available_device_and_a_patron_in_good_standing():
    assert can_check_out(device(), patron(), policy(), TODAY) is None


def test_checkout_allowed_when_the_patron_card_has_no_expiry_date():
    assert refusal_code(device(), patron(expires_on=None)) is None


def test_checkout_allowed_when_device_on_hold_shelf_for_this_patron():
    assert refusal_code(device("on_hold_shelf", held_for_patron=PATRON_ID), patron()) is None


def test_checkout_allowed_when_card_expires_today():
    assert refusal_code(device(), patron(expires_on=TODAY)) is None


def test_checkout_allowed_below_the_patron_limit():
    assert refusal_code(device(), patron(active_loans_of_kind=1), policy(patron_limit=2)) is None


def test_checkout_allowed_below_the_household_limit():
    p = patron(household_active_loans_of_kind=1)
    assert refusal_code(device(), p, policy(household_limit=2)) is None


def test_checkout_allowed_when_the_patron_has_no_household_whatever_the_household_limit():
    p = patron(household_active_loans_of_kind=None)
    assert refusal_code(device(), p, policy(patron_limit=1, household_limit=1)) is None


def test_checkout_allowed_for_a_blocked_flag_false_even_with_a_leftover_block_reason():
    assert refusal_code(device(), patron(blocked=False, block_reason="old fines")) is None


# --- device_unavailable -----------------------------------------------------------------------


@pytest.mark.parametrize("status", NOT_AVAILABLE)
def test_checkout_refused_when_device_is_not_available(status):
    refusal = can_check_out(device(status), patron(), policy(), TODAY)
    assert refusal is not None
    assert refusal.code == "device_unavailable"
    assert "LAP-0001" in refusal.detail
    assert status in refusal.detail


def test_checkout_refused_for_an_unknown_device_status():
    assert refusal_code(device("missing_in_action"), patron()) == "device_unavailable"


def test_checkout_refused_when_device_on_hold_shelf_for_another_patron():
    refusal = can_check_out(
        device("on_hold_shelf", held_for_patron=OTHER_PATRON_ID), patron(), policy(), TODAY
    )
    assert refusal is not None
    assert refusal.code == "device_unavailable"
    assert "hold shelf" in refusal.detail


def test_checkout_refused_when_device_on_hold_shelf_without_a_recorded_patron():
    assert refusal_code(device("on_hold_shelf", held_for_patron=None), patron()) == (
        "device_unavailable"
    )


def test_hold_shelf_patron_is_ignored_for_a_device_that_is_available():
    # A stale held_for_patron on an available device does not keep others from borrowing it.
    d = device("available", held_for_patron=OTHER_PATRON_ID)
    assert refusal_code(d, patron()) is None


# --- patron_blocked ---------------------------------------------------------------------------


def test_checkout_refused_when_patron_is_blocked():
    refusal = can_check_out(device(), patron(blocked=True), policy(), TODAY)
    assert refusal == Refusal("patron_blocked", "The patron's account is blocked.")


def test_checkout_refusal_for_a_blocked_patron_gives_the_reason():
    p = patron(blocked=True, block_reason="unpaid replacement fee")
    refusal = can_check_out(device(), p, policy(), TODAY)
    assert refusal is not None
    assert refusal.code == "patron_blocked"
    assert refusal.detail == "The patron's account is blocked: unpaid replacement fee."


def test_blocked_patron_is_refused_even_for_the_device_held_for_them():
    d = device("on_hold_shelf", held_for_patron=PATRON_ID)
    assert refusal_code(d, patron(blocked=True)) == "patron_blocked"


# --- patron_expired ---------------------------------------------------------------------------


def test_checkout_refused_when_card_expired_yesterday():
    yesterday = TODAY - timedelta(days=1)
    refusal = can_check_out(device(), patron(expires_on=yesterday), policy(), TODAY)
    assert refusal is not None
    assert refusal.code == "patron_expired"
    assert yesterday.isoformat() in refusal.detail


def test_checkout_refused_when_card_expired_long_ago():
    assert refusal_code(device(), patron(expires_on=date(2020, 1, 1))) == "patron_expired"


def test_expiry_is_judged_against_the_given_today_not_the_real_clock():
    p = patron(expires_on=date(2030, 1, 1))
    assert can_check_out(device(), p, policy(), date(2030, 1, 1)) is None
    refusal = can_check_out(device(), p, policy(), date(2030, 1, 2))
    assert refusal is not None and refusal.code == "patron_expired"


# --- loan_limit_reached -----------------------------------------------------------------------


def test_checkout_refused_when_patron_has_reached_their_limit_for_the_kind():
    refusal = can_check_out(device(), patron(active_loans_of_kind=1), policy(), TODAY)
    assert refusal is not None
    assert refusal.code == "loan_limit_reached"
    assert "laptop" in refusal.detail
    assert "limit is 1" in refusal.detail


def test_a_limit_refusal_counts_loans_in_plain_words_one_or_many():
    one = can_check_out(device(), patron(active_loans_of_kind=1), policy(), TODAY)
    many = can_check_out(
        device(), patron(active_loans_of_kind=3), policy(patron_limit=2, household_limit=5), TODAY
    )
    household = can_check_out(
        device(),
        patron(active_loans_of_kind=0, household_active_loans_of_kind=1),
        policy(patron_limit=1, household_limit=1),
        TODAY,
    )
    assert "already has 1 laptop loan;" in one.detail and "(s)" not in one.detail
    assert "already has 3 laptop loans;" in many.detail
    assert "household already has 1 laptop loan;" in household.detail


def test_checkout_refused_when_patron_is_above_their_limit_for_the_kind():
    p = patron(active_loans_of_kind=3)
    assert refusal_code(device(), p, policy(patron_limit=2, household_limit=5)) == (
        "loan_limit_reached"
    )


def test_checkout_refused_when_household_has_reached_its_limit():
    p = patron(active_loans_of_kind=0, household_active_loans_of_kind=2)
    refusal = can_check_out(device(), p, policy(patron_limit=1, household_limit=2), TODAY)
    assert refusal is not None
    assert refusal.code == "loan_limit_reached"
    assert "household" in refusal.detail
    assert "limit is 2" in refusal.detail


def test_checkout_refused_when_household_limit_of_one_is_taken_by_another_member():
    p = patron(active_loans_of_kind=0, household_active_loans_of_kind=1)
    assert refusal_code(device(), p, policy(patron_limit=1, household_limit=1)) == (
        "loan_limit_reached"
    )


def test_patron_limit_is_reported_before_household_limit_when_both_are_reached():
    p = patron(active_loans_of_kind=1, household_active_loans_of_kind=2)
    refusal = can_check_out(device(), p, policy(patron_limit=1, household_limit=2), TODAY)
    assert refusal is not None
    assert refusal.code == "loan_limit_reached"
    assert "household" not in refusal.detail


def test_patron_on_the_hold_shelf_is_still_held_to_the_loan_limit():
    d = device("on_hold_shelf", held_for_patron=PATRON_ID)
    assert refusal_code(d, patron(active_loans_of_kind=1)) == "loan_limit_reached"


# --- precedence -------------------------------------------------------------------------------

EVERYTHING_WRONG = {
    "blocked": True,
    "block_reason": "fines",
    "expires_on": TODAY - timedelta(days=1),
    "active_loans_of_kind": 5,
    "household_active_loans_of_kind": 5,
}


@pytest.mark.parametrize("status", [*NOT_AVAILABLE, "on_hold_shelf"])
def test_device_unavailable_wins_over_every_patron_refusal(status):
    d = device(status, held_for_patron=OTHER_PATRON_ID)
    assert refusal_code(d, patron(**EVERYTHING_WRONG)) == "device_unavailable"


def test_patron_blocked_wins_over_expired_card_and_loan_limit():
    assert refusal_code(device(), patron(**EVERYTHING_WRONG)) == "patron_blocked"


def test_patron_expired_wins_over_loan_limit():
    p = patron(**{**EVERYTHING_WRONG, "blocked": False, "block_reason": None})
    assert refusal_code(device(), p) == "patron_expired"


def test_loan_limit_is_reported_when_it_is_the_only_problem():
    p = patron(active_loans_of_kind=5, household_active_loans_of_kind=5)
    assert refusal_code(device(), p) == "loan_limit_reached"


@pytest.mark.parametrize(
    ("device_ok", "not_blocked", "not_expired", "under_limit", "expected"),
    [
        (False, False, False, False, "device_unavailable"),
        (False, True, True, True, "device_unavailable"),
        (False, True, False, False, "device_unavailable"),
        (True, False, False, False, "patron_blocked"),
        (True, False, True, True, "patron_blocked"),
        (True, False, True, False, "patron_blocked"),
        (True, True, False, False, "patron_expired"),
        (True, True, False, True, "patron_expired"),
        (True, True, True, False, "loan_limit_reached"),
        (True, True, True, True, None),
    ],
)
def test_first_refusal_in_contract_order_wins(
    device_ok, not_blocked, not_expired, under_limit, expected
):
    d = device("available" if device_ok else "on_loan")
    p = patron(
        blocked=not not_blocked,
        expires_on=TODAY if not_expired else TODAY - timedelta(days=1),
        active_loans_of_kind=0 if under_limit else 1,
    )
    assert refusal_code(d, p) == expected


# --- Refusal ----------------------------------------------------------------------------------


def test_a_checkout_refusal_becomes_a_409_conflict_with_its_code():
    refusal = can_check_out(device("on_loan"), patron(), policy(), TODAY)
    assert refusal is not None
    error = refusal.error()
    assert isinstance(error, Conflict)
    assert error.status == 409
    assert error.code == "device_unavailable"
    assert error.detail == refusal.detail
    assert str(error) == refusal.detail


def test_facts_are_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        device().status = "on_loan"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        patron().blocked = True  # type: ignore[misc]


# --- can_place_hold ---------------------------------------------------------------------------


def test_a_patron_at_the_loan_limit_cannot_join_the_waitlist_for_that_kind():
    refusal = can_place_hold(patron(active_loans_of_kind=1), policy(), TODAY, has_open_hold=False)
    assert refusal is not None and refusal.code == "loan_limit_reached"


def test_a_member_of_a_household_at_its_limit_may_still_join_the_waitlist():
    p = patron(active_loans_of_kind=0, household_active_loans_of_kind=1)
    refusal = can_place_hold(
        p, policy(patron_limit=1, household_limit=1), TODAY, has_open_hold=False
    )
    assert refusal is None


def test_a_blocked_or_expired_patron_or_a_second_hold_is_refused_and_a_free_patron_is_not():
    blocked = patron(blocked=True, block_reason="lost device")
    expired = patron(expires_on=TODAY - timedelta(days=1))
    assert can_place_hold(blocked, policy(), TODAY, has_open_hold=False).code == "patron_blocked"
    assert can_place_hold(expired, policy(), TODAY, has_open_hold=False).code == "patron_expired"
    second = can_place_hold(patron(), policy(), TODAY, has_open_hold=True)
    assert second.code == "duplicate_hold"
    assert can_place_hold(patron(), policy(), TODAY, has_open_hold=False) is None
