"""Renewal decisions (lending.circulation.rules.can_renew)."""

from datetime import UTC, datetime

import pytest

from lending.circulation import Conflict, LendingError, LoanFacts, LoanPolicy, can_renew

DUE = datetime(2026, 6, 23, 4, 59, 59, tzinfo=UTC)
BEFORE_DUE = datetime(2026, 6, 20, 15, 0, tzinfo=UTC)


def loan(status: str = "active", renewals: int = 0, patron_blocked: bool = False) -> LoanFacts:
    return LoanFacts(status=status, renewals=renewals, due_at=DUE, patron_blocked=patron_blocked)


def policy(max_renewals: int = 2) -> LoanPolicy:
    return LoanPolicy("laptop", max_renewals=max_renewals)


def code(
    facts: LoanFacts, pol: LoanPolicy | None = None, *, waiting: bool = False, available: int = 0
) -> str | None:
    refusal = can_renew(facts, pol or policy(), waiting, available, now=BEFORE_DUE)
    return None if refusal is None else refusal.code


# --- allowed ----------------------------------------------------------------------------------


def test_renewal_allowed_for_an_active_loan_with_renewals_left_and_nobody_waiting():
    assert can_renew(loan(), policy(), False, 0, now=BEFORE_DUE) is None


@pytest.mark.parametrize("renewals", [0, 1])
def test_renewal_allowed_while_renewals_are_below_the_maximum(renewals):
    assert code(loan(renewals=renewals), policy(max_renewals=2)) is None


def test_renewal_allowed_when_others_wait_but_a_device_of_the_kind_is_available():
    assert code(loan(), waiting=True, available=1) is None


def test_renewal_allowed_when_several_devices_of_the_kind_are_available_for_those_waiting():
    assert code(loan(), waiting=True, available=3) is None


def test_renewal_allowed_when_nobody_waits_and_no_device_is_available():
    assert code(loan(), waiting=False, available=0) is None


def test_renewal_of_an_overdue_loan_is_allowed_because_its_stored_status_is_active():
    # "overdue" is derived from due_at when rendering; the rules see the stored status.
    assert code(loan(status="active")) is None


# --- loan_not_active --------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["returned", "lost"])
def test_renewal_refused_when_loan_is_not_active(status):
    refusal = can_renew(loan(status=status), policy(), False, 1, now=BEFORE_DUE)
    assert refusal is not None
    assert refusal.code == "loan_not_active"
    assert status in refusal.detail


# --- patron_blocked ---------------------------------------------------------------------------


def test_renewal_refused_when_patron_is_blocked():
    refusal = can_renew(loan(patron_blocked=True), policy(), False, 1, now=BEFORE_DUE)
    assert refusal is not None
    assert refusal.code == "patron_blocked"
    assert refusal.detail == "The patron's account is blocked."


# --- renewal_limit_reached --------------------------------------------------------------------


def test_renewal_refused_when_renewals_reach_max_renewals():
    refusal = can_renew(loan(renewals=2), policy(max_renewals=2), False, 1, now=BEFORE_DUE)
    assert refusal is not None
    assert refusal.code == "renewal_limit_reached"
    assert "2 time(s)" in refusal.detail
    assert "laptop" in refusal.detail


def test_renewal_refused_when_renewals_exceed_max_renewals():
    assert code(loan(renewals=5), policy(max_renewals=2)) == "renewal_limit_reached"


def test_renewal_never_allowed_when_max_renewals_is_zero():
    assert code(loan(renewals=0), policy(max_renewals=0), available=5) == "renewal_limit_reached"


def test_renewal_allowed_exactly_once_when_max_renewals_is_one():
    assert code(loan(renewals=0), policy(max_renewals=1)) is None
    assert code(loan(renewals=1), policy(max_renewals=1)) == "renewal_limit_reached"


# --- renewal_blocked_by_holds -----------------------------------------------------------------


def test_renewal_blocked_by_holds_when_others_wait_and_no_device_of_the_kind_is_available():
    refusal = can_renew(loan(), policy(), True, 0, now=BEFORE_DUE)
    assert refusal is not None
    assert refusal.code == "renewal_blocked_by_holds"
    assert "laptop" in refusal.detail


@pytest.mark.parametrize(
    ("waiting", "available", "blocked"),
    [(True, 0, True), (True, 1, False), (False, 0, False), (False, 1, False)],
)
def test_renewal_blocked_by_holds_only_when_others_wait_and_none_is_available(
    waiting, available, blocked
):
    expected = "renewal_blocked_by_holds" if blocked else None
    assert code(loan(), waiting=waiting, available=available) == expected


# --- precedence -------------------------------------------------------------------------------


def test_loan_not_active_is_reported_before_every_other_refusal():
    facts = loan(status="returned", renewals=9, patron_blocked=True)
    assert code(facts, waiting=True, available=0) == "loan_not_active"


def test_patron_blocked_is_reported_before_renewal_limit_and_holds():
    facts = loan(renewals=9, patron_blocked=True)
    assert code(facts, waiting=True, available=0) == "patron_blocked"


def test_renewal_limit_is_reported_before_holds():
    assert code(loan(renewals=2), waiting=True, available=0) == "renewal_limit_reached"


# --- Refusal.error ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "waiting", "expected"),
    [
        (loan(status="returned"), False, "loan_not_active"),
        (loan(patron_blocked=True), False, "patron_blocked"),
        (loan(renewals=2), False, "renewal_limit_reached"),
        (loan(), True, "renewal_blocked_by_holds"),
    ],
)
def test_each_renewal_refusal_becomes_a_409_conflict_with_its_code(facts, waiting, expected):
    refusal = can_renew(facts, policy(), waiting, 0, now=BEFORE_DUE)
    assert refusal is not None
    error = refusal.error()
    assert isinstance(error, Conflict)
    assert isinstance(error, LendingError)
    assert error.status == 409
    assert error.title == "Refused"
    assert error.code == expected
    assert error.detail == refusal.detail
