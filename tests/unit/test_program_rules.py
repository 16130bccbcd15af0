"""What a partner program requires before it lends, and the terms it lends on (pure rules)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from lending.circulation.codes import Code
from lending.circulation.policy import LoanPolicy
from lending.circulation.programs import (
    AgreementFacts,
    EnrolmentFacts,
    ProgramFacts,
    ProgramTerms,
    agreement_expires_on,
    can_lend_under,
    choose_program,
    program_policy,
    suppressed,
)

TODAY = date(2026, 12, 1)
PROGRAM = ProgramFacts(
    code="CH-HA",
    starts_on=date(2026, 9, 1),
    ends_on=date(2027, 8, 31),
    kinds=("hotspot",),
    points=("HA-SITE",),
    training_hours=2,
    agreement_version="2026-1",
    attestation_required=True,
    terms=ProgramTerms(loan_days=365, household_limit=1, quota=40),
)
READY = EnrolmentFacts(
    expires_on=date(2027, 8, 31),
    attested=True,
    training_hours=2,
    agreement=AgreementFacts("2026-1", date(2027, 11, 30)),
)


def refused(program=PROGRAM, enrolment=READY, kind="hotspot", point="HA-SITE", today=TODAY):
    refusal = can_lend_under(program, enrolment, kind, point, today)
    return refusal.code if refusal else None


def test_an_enrolled_trained_signed_resident_may_borrow_at_the_site():
    assert refused() is None


def test_a_program_not_yet_started_or_ended_lends_nothing():
    assert refused(today=date(2026, 8, 31)) == Code.PROGRAM_NOT_STARTED
    assert refused(today=date(2027, 9, 1)) == Code.PROGRAM_ENDED
    assert refused(today=date(2027, 8, 31)) is None


def test_a_program_lends_only_its_kinds_at_its_points():
    assert refused(kind="laptop") == Code.KIND_NOT_IN_PROGRAM
    assert refused(point="MAIN") == Code.PROGRAM_NOT_HERE
    assert refused(program=replace(PROGRAM, points=()), point="MAIN") is None


def test_a_patron_not_enrolled_or_whose_enrolment_expired_is_refused():
    assert refused(enrolment=None) == Code.NOT_ENROLLED
    expired = replace(READY, expires_on=date(2026, 11, 30))
    assert refused(enrolment=expired) == Code.ENROLMENT_EXPIRED


def test_the_funders_statement_is_required_when_the_program_says_so():
    assert refused(enrolment=replace(READY, attested=False)) == Code.ATTESTATION_REQUIRED
    no_statement = replace(PROGRAM, attestation_required=False)
    assert refused(program=no_statement, enrolment=replace(READY, attested=False)) is None


def test_training_hours_short_of_the_requirement_refuse_with_the_hours():
    refusal = can_lend_under(PROGRAM, replace(READY, training_hours=1.5), "hotspot", None, TODAY)
    assert refusal.code == Code.TRAINING_REQUIRED
    assert refusal.facts == {"required": 2, "done": 1.5}


def test_an_agreement_of_an_old_version_or_past_its_expiry_is_refused():
    assert refused(enrolment=replace(READY, agreement=None)) == Code.AGREEMENT_REQUIRED
    old = replace(READY, agreement=AgreementFacts("2025-1", date(2027, 1, 1)))
    assert refused(enrolment=old) == Code.AGREEMENT_REQUIRED
    lapsed = replace(READY, agreement=AgreementFacts("2026-1", date(2026, 11, 30)))
    assert refused(enrolment=lapsed) == Code.AGREEMENT_EXPIRED
    assert refused(program=replace(PROGRAM, agreement_version=None), enrolment=lapsed) is None


def test_one_device_per_household_and_the_quota_are_the_programs_limits():
    assert refused(program=replace(PROGRAM, household_open_loans=1)) == Code.LOAN_LIMIT_REACHED
    assert refused(program=replace(PROGRAM, open_loans_of_kind=40)) == Code.PROGRAM_STOCK_EXHAUSTED
    assert refused(program=replace(PROGRAM, open_loans_of_kind=39)) is None


def test_a_program_with_assigned_devices_lends_only_those():
    assigned = replace(PROGRAM, assigned_stock=True)
    assert refused(program=assigned) == Code.DEVICE_IN_OTHER_PROGRAM
    assert refused(program=replace(assigned, device_assigned=True)) is None


def test_the_programs_terms_override_the_kinds_policy():
    policy = LoanPolicy(kind="hotspot", loan_days=21, renewal_days=14, max_renewals=2)
    terms = program_policy(policy, ProgramTerms(loan_days=180, max_renewals=0))
    assert (terms.loan_days, terms.renewal_days, terms.max_renewals) == (180, 180, 0)
    assert program_policy(policy, ProgramTerms()) is policy


def test_the_program_of_a_checkout_is_chosen_device_stock_or_the_patrons_only_one():
    assert choose_program("A", None, ("B",)) == ("A", None)
    assert choose_program(None, "S", ()) == ("S", None)
    assert choose_program(None, None, ("B",)) == ("B", None)
    assert choose_program(None, None, ()) == (None, None)
    program, refusal = choose_program(None, None, ("B", "C"))
    assert program is None and refusal.code == Code.PROGRAM_CHOICE_NEEDED
    program, refusal = choose_program("A", "S", ())
    assert refusal.code == Code.DEVICE_IN_OTHER_PROGRAM


def test_an_agreement_runs_a_year_or_to_the_programs_date():
    assert agreement_expires_on(date(2026, 12, 1), None) == date(2027, 12, 1)
    assert agreement_expires_on(date(2028, 2, 29), None) == date(2029, 2, 28)
    assert agreement_expires_on(date(2026, 12, 1), date(2027, 6, 30)) == date(2027, 6, 30)


def test_reports_for_partners_show_counts_under_five_as_less_than_five():
    assert [suppressed(n) for n in (0, 1, 4, 5, 12)] == [0, "<5", "<5", 5, 12]
