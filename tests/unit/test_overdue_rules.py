"""Overdue patrons (issue 12): checkout refused while the patron (or household) has an overdue
loan, after N days, as the kind's policy says; renewal of an overdue loan allowed or refused
separately for staff and for the resident."""

from datetime import UTC, date, datetime, timedelta

import pytest

from lending.circulation import (
    DeviceFacts,
    LoanFacts,
    LoanPolicy,
    OverdueLoan,
    PatronFacts,
    can_check_out,
    can_renew,
)

NOW = datetime(2026, 6, 10, 15, 0, tzinfo=UTC)
TODAY = date(2026, 6, 10)


def overdue(days: float, own: bool = True, device: str = "LAP-9") -> OverdueLoan:
    return OverdueLoan(device, "laptop", NOW - timedelta(days=days), own=own)


def patron(*loans: OverdueLoan) -> PatronFacts:
    return PatronFacts(
        id=7,
        blocked=False,
        block_reason=None,
        expires_on=date(2030, 1, 1),
        active_loans_of_kind=0,
        household_active_loans_of_kind=None,
        overdue_loans=loans,
    )


def checkout(p: PatronFacts, **policy) -> str | None:
    refusal = can_check_out(
        DeviceFacts("HOT-1", "available"), p, LoanPolicy("hotspot", **policy), TODAY, now=NOW
    )
    return refusal.code if refusal else None


def test_a_laptop_overdue_since_yesterday_refuses_a_hotspot_checkout_by_default():
    refusal = can_check_out(
        DeviceFacts("HOT-1", "available"),
        patron(overdue(0.6)),
        LoanPolicy("hotspot"),
        TODAY,
        now=NOW,
    )
    assert refusal is not None and refusal.code == "patron_has_overdue"
    assert refusal.facts["whose"] == "patron"
    assert refusal.facts["loans"] == [
        {
            "device": "LAP-9",
            "kind": "laptop",
            "due_at": (NOW - timedelta(days=0.6)).isoformat(),
            "days_overdue": 0,
            "own": True,
        }
    ]
    assert refusal.error().facts == refusal.facts  # the problem body carries them


def test_a_patron_with_nothing_overdue_may_borrow():
    assert checkout(patron()) is None


def test_overdue_loans_are_ignored_when_the_policy_says_off():
    assert checkout(patron(overdue(40)), overdue_blocks_checkout="off") is None


@pytest.mark.parametrize(
    ("days_late", "after_days", "refused"),
    [(0.1, 0, True), (2.9, 3, False), (3.0, 3, False), (3.1, 3, True), (10, 3, True)],
)
def test_checkout_is_refused_only_after_the_policy_days_overdue(days_late, after_days, refused):
    code = checkout(patron(overdue(days_late)), overdue_blocks_checkout_after_days=after_days)
    assert code == ("patron_has_overdue" if refused else None)


def test_a_household_members_overdue_loan_counts_only_when_the_policy_looks_at_the_household():
    member = overdue(5, own=False, device="TAB-2")
    assert checkout(patron(member)) is None  # "patron": their own loans only
    assert checkout(patron(member), overdue_blocks_checkout="household") == "patron_has_overdue"
    refusal = can_check_out(
        DeviceFacts("HOT-1", "available"),
        patron(member),
        LoanPolicy("hotspot", overdue_blocks_checkout="household"),
        TODAY,
        now=NOW,
    )
    assert refusal.facts["whose"] == "household"
    assert "TAB-2" in refusal.detail


def test_a_blocked_or_expired_card_is_reported_before_the_overdue_loans():
    p = patron(overdue(5))
    blocked = PatronFacts(**{**p.__dict__, "blocked": True})
    expired = PatronFacts(**{**p.__dict__, "expires_on": date(2020, 1, 1)})
    assert checkout(blocked) == "patron_blocked"
    assert checkout(expired) == "patron_expired"


def test_overdue_loans_are_reported_before_the_loan_limit():
    p = PatronFacts(**{**patron(overdue(5)).__dict__, "active_loans_of_kind": 5})
    assert checkout(p) == "patron_has_overdue"


def test_the_policy_rejects_an_unknown_overdue_scope_and_negative_days():
    fields = {
        e.field
        for e in LoanPolicy(
            "hotspot", overdue_blocks_checkout="everyone", overdue_blocks_checkout_after_days=-1
        ).problems()
    }
    assert fields == {"overdue_blocks_checkout", "overdue_blocks_checkout_after_days"}
    assert LoanPolicy("hotspot", staff_may_renew_overdue="yes").problems()[0].field == (
        "staff_may_renew_overdue"
    )


# --- renewal of an overdue loan ----------------------------------------------------------------

DUE = NOW - timedelta(hours=20)  # overdue since yesterday


def renewal(*, by_resident: bool, now: datetime = NOW, **policy) -> str | None:
    loan = LoanFacts(status="active", renewals=0, due_at=DUE, patron_blocked=False)
    refusal = can_renew(
        loan, LoanPolicy("laptop", **policy), False, 1, now=now, by_resident=by_resident
    )
    return refusal.code if refusal else None


def test_by_default_staff_may_renew_an_overdue_loan_but_the_resident_may_not():
    assert renewal(by_resident=False) is None
    assert renewal(by_resident=True) == "overdue_renewal_refused"


def test_staff_and_resident_renewal_of_an_overdue_loan_are_set_separately():
    assert renewal(by_resident=False, staff_may_renew_overdue=False) == "overdue_renewal_refused"
    assert renewal(by_resident=True, staff_may_renew_overdue=False) == "overdue_renewal_refused"
    assert renewal(by_resident=True, resident_may_renew_overdue=True) is None
    assert renewal(by_resident=False, resident_may_renew_overdue=True) is None


def test_a_loan_not_yet_past_its_due_date_is_not_overdue_for_renewal():
    assert renewal(by_resident=True, now=DUE) is None


def test_the_overdue_renewal_refusal_carries_the_due_date_and_who_asked():
    loan = LoanFacts(status="active", renewals=0, due_at=DUE, patron_blocked=False)
    refusal = can_renew(loan, LoanPolicy("laptop"), False, 1, now=NOW, by_resident=True)
    assert refusal.facts == {"due_at": DUE.isoformat(), "days_overdue": 0, "by": "resident"}
