"""Loan policy validation and defaults (lending.circulation.policy)."""

import dataclasses

import pytest

from lending.circulation import KINDS, FieldError, LoanPolicy, default_policies

ZERO_ALLOWED = ("max_renewals", "reminder_days_before_due", "suspend_line_after_days")
AT_LEAST_ONE = (
    "loan_days",
    "renewal_days",
    "max_active_loans_per_patron",
    "max_active_loans_per_household",
    "hold_pickup_days",
    "lost_after_days",
)
ALL_COUNTS = AT_LEAST_ONE + ZERO_ALLOWED


def policy(**overrides) -> LoanPolicy:
    return LoanPolicy("laptop", **overrides)


def fields(problems: list[FieldError]) -> list[str]:
    return [p.field for p in problems]


def messages_for(problems: list[FieldError], name: str) -> list[str]:
    return [p.message for p in problems if p.field == name]


# --- a valid policy ---------------------------------------------------------------------------


def test_a_policy_with_default_values_has_no_problems():
    assert policy().problems() == []


def test_problems_are_field_errors_that_render_as_dicts():
    (problem,) = policy(loan_days=0).problems()
    assert isinstance(problem, FieldError)
    assert problem.as_dict() == {"field": "loan_days", "message": "must be at least 1"}


# --- counts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", AT_LEAST_ONE)
def test_zero_is_rejected_for_counts_that_must_be_at_least_one(name):
    problems = policy(**{name: 0}).problems()
    assert name in fields(problems)
    assert messages_for(problems, name) == ["must be at least 1"]


@pytest.mark.parametrize("name", ALL_COUNTS)
@pytest.mark.parametrize("value", [-1, -21])
def test_negative_counts_are_rejected_for_every_count(name, value):
    problems = policy(**{name: value}).problems()
    assert name in fields(problems)


@pytest.mark.parametrize("name", ZERO_ALLOWED)
def test_zero_is_accepted_for_max_renewals_reminders_and_line_suspension(name):
    assert policy(**{name: 0}).problems() == []


@pytest.mark.parametrize("name", ZERO_ALLOWED)
def test_negative_values_report_the_zero_lower_bound_where_zero_is_allowed(name):
    assert messages_for(policy(**{name: -1}).problems(), name) == ["must be at least 0"]


@pytest.mark.parametrize("name", ALL_COUNTS)
def test_one_is_accepted_for_every_count(name):
    assert policy(**{name: 1}).problems() == []


@pytest.mark.parametrize("name", ALL_COUNTS)
@pytest.mark.parametrize("value", [True, False])
def test_booleans_are_rejected_as_counts(name, value):
    problems = policy(**{name: value}).problems()
    assert messages_for(problems, name) == ["must be a whole number"]


@pytest.mark.parametrize("name", ALL_COUNTS)
@pytest.mark.parametrize("value", [1.0, 2.5])
def test_floats_are_rejected_as_counts(name, value):
    problems = policy(**{name: value}).problems()
    assert messages_for(problems, name) == ["must be a whole number"]


@pytest.mark.parametrize(
    "name", [n for n in ALL_COUNTS if not n.startswith("max_active_loans_per_")]
)
@pytest.mark.parametrize("value", ["3", None])
def test_strings_and_none_are_rejected_as_counts(name, value):
    problems = policy(**{name: value}).problems()
    assert messages_for(problems, name) == ["must be a whole number"]


@pytest.mark.parametrize("name", ALL_COUNTS)
def test_ten_years_is_the_largest_accepted_count(name):
    # Household limit must stay at least the patron limit, so raise both together.
    extra = {"max_active_loans_per_household": 3650} if name.endswith("_patron") else {}
    assert policy(**{name: 3650}, **extra).problems() == []


@pytest.mark.parametrize("name", ALL_COUNTS)
def test_counts_above_ten_years_are_rejected(name):
    problems = policy(**{name: 3651}).problems()
    assert messages_for(problems, name) == ["must be at most 3650"]


def test_every_bad_count_is_reported_not_just_the_first():
    problems = policy(loan_days=0, renewal_days=-1, hold_pickup_days=True).problems()
    assert fields(problems) == ["loan_days", "renewal_days", "hold_pickup_days"]


# --- overdue notice stages --------------------------------------------------------------------


@pytest.mark.parametrize("stages", [(1,), (1, 7, 14), (3, 10), (14, 7, 1), (), (3650,)])
def test_distinct_positive_overdue_notice_days_are_accepted(stages):
    assert policy(overdue_notice_days=stages).problems() == []


@pytest.mark.parametrize("stages", [(1, 1), (1, 7, 7), (7, 1, 7)])
def test_repeated_overdue_notice_days_are_rejected(stages):
    problems = policy(overdue_notice_days=stages).problems()
    assert fields(problems) == ["overdue_notice_days"]
    assert problems[0].message == "days must not repeat"


@pytest.mark.parametrize("stages", [(0,), (1, 0), (0, 7, 14)])
def test_a_zero_overdue_notice_day_is_rejected(stages):
    problems = policy(overdue_notice_days=stages).problems()
    assert fields(problems) == ["overdue_notice_days"]
    assert problems[0].message == "each day must be from 1 to 3650"


@pytest.mark.parametrize("stages", [(-1,), (1, -7), (-14, 7)])
def test_a_negative_overdue_notice_day_is_rejected(stages):
    assert fields(policy(overdue_notice_days=stages).problems()) == ["overdue_notice_days"]


@pytest.mark.parametrize("stages", [(3651,), (True,), (1, 2.0), ("7",), (None,)])
def test_overdue_notice_days_must_be_whole_numbers_within_ten_years(stages):
    assert "overdue_notice_days" in fields(policy(overdue_notice_days=stages).problems())


def test_several_bad_overdue_notice_days_are_reported_once():
    problems = policy(overdue_notice_days=(0, -1, 5000)).problems()
    assert messages_for(problems, "overdue_notice_days") == ["each day must be from 1 to 3650"]


def test_overdue_notice_days_that_are_both_out_of_range_and_repeated_report_both():
    problems = policy(overdue_notice_days=(0, 0)).problems()
    assert messages_for(problems, "overdue_notice_days") == [
        "each day must be from 1 to 3650",
        "days must not repeat",
    ]


def test_twenty_overdue_notice_stages_are_accepted():
    assert policy(overdue_notice_days=tuple(range(1, 21))).problems() == []


def test_more_than_twenty_overdue_notice_stages_are_rejected():
    problems = policy(overdue_notice_days=tuple(range(1, 22))).problems()
    assert messages_for(problems, "overdue_notice_days") == ["at most 20 stages"]


# --- household limit --------------------------------------------------------------------------


def test_household_limit_below_the_patron_limit_is_rejected():
    problems = policy(max_active_loans_per_patron=2, max_active_loans_per_household=1).problems()
    assert [p.as_dict() for p in problems] == [
        {
            "field": "max_active_loans_per_household",
            "message": "must be at least max_active_loans_per_patron",
        }
    ]


@pytest.mark.parametrize(("patron", "household"), [(1, 1), (2, 2), (1, 4), (2, 5)])
def test_household_limit_equal_to_or_above_the_patron_limit_is_accepted(patron, household):
    problems = policy(
        max_active_loans_per_patron=patron, max_active_loans_per_household=household
    ).problems()
    assert problems == []


@pytest.mark.parametrize("bad", [1.5, True])
def test_household_comparison_is_skipped_when_a_limit_is_not_a_whole_number(bad):
    problems = policy(max_active_loans_per_patron=bad).problems()
    assert fields(problems) == ["max_active_loans_per_patron"]
    problems = policy(max_active_loans_per_household=bad).problems()
    assert fields(problems) == ["max_active_loans_per_household"]


@pytest.mark.parametrize("bad", ["2", None])
def test_household_comparison_does_not_crash_when_a_limit_is_a_string_or_none(bad):
    problems = policy(max_active_loans_per_patron=bad).problems()
    assert fields(problems) == ["max_active_loans_per_patron"]
    problems = policy(max_active_loans_per_household=bad).problems()
    assert fields(problems) == ["max_active_loans_per_household"]


def test_household_limit_problem_is_reported_alongside_unrelated_problems():
    problems = policy(
        loan_days=0, max_active_loans_per_patron=2, max_active_loans_per_household=1
    ).problems()
    assert fields(problems) == ["loan_days", "max_active_loans_per_household"]


# --- renewal limit ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("max_renewals", "renewals", "reached"),
    [(2, 0, False), (2, 1, False), (2, 2, True), (2, 3, True), (0, 0, True), (1, 0, False)],
)
def test_renewal_limit_is_reached_once_renewals_equal_max_renewals(max_renewals, renewals, reached):
    assert policy(max_renewals=max_renewals).has_reached_renewal_limit(renewals) is reached


# --- defaults ---------------------------------------------------------------------------------


def test_default_policies_cover_hotspot_laptop_and_tablet():
    assert set(default_policies()) == {"hotspot", "laptop", "tablet"}
    assert set(KINDS) <= set(default_policies())


def test_default_policies_are_keyed_by_their_own_kind():
    for kind, default in default_policies().items():
        assert default.kind == kind


@pytest.mark.parametrize("kind", ["hotspot", "laptop", "tablet"])
def test_each_default_policy_is_valid(kind):
    assert default_policies()[kind].problems() == []


def test_default_hotspot_loans_renew_automatically():
    assert default_policies()["hotspot"].auto_renew is True


def test_default_policies_are_fresh_objects_each_call():
    assert default_policies() is not default_policies()


def test_policies_are_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy().loan_days = 7  # type: ignore[misc]
