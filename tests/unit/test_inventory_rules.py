"""Inventory rules (lending.circulation.inventory): audit lists, kit outcomes, steps."""

from datetime import UTC, datetime

import pytest

from lending.circulation import Invalid
from lending.circulation.inventory import (
    KitPartFacts,
    classify_scan,
    not_seen_since,
    part_outcomes,
    resolve_parts,
    steps_left,
    valid_step_names,
)


@pytest.mark.parametrize(
    ("known", "again", "on_loan", "same_branch", "expected"),
    [
        (True, False, False, True, "found"),
        (True, True, False, True, "duplicate"),
        (False, True, False, False, "duplicate"),
        (False, False, False, False, "unknown"),
        (True, False, True, True, "on_loan"),
        (True, False, True, False, "on_loan"),
        (True, False, False, False, "other_branch"),
    ],
)
def test_a_scan_lands_in_exactly_one_audit_list(known, again, on_loan, same_branch, expected):
    assert (
        classify_scan(known=known, already_scanned=again, on_loan=on_loan, same_branch=same_branch)
        == expected
    )


PARTS = [KitPartFacts(1, "Charger"), KitPartFacts(2, "USB cable", "CAB001")]


def test_parts_are_found_by_id_name_in_any_case_or_barcode():
    assert resolve_parts(["1", "usb CABLE"], PARTS, "missing_parts") == [1, 2]
    assert resolve_parts(["cab001", "charger", "Charger"], PARTS, "missing_parts") == [2, 1]


def test_an_unknown_part_is_reported_with_its_position():
    with pytest.raises(Invalid) as caught:
        resolve_parts(["Charger", "Stylus"], PARTS, "damaged_parts")
    assert [e.field for e in caught.value.errors] == ["damaged_parts[1]"]


def test_parts_not_reported_come_back_returned():
    assert part_outcomes([1, 2, 3], [2], [3]) == {1: "returned", 2: "missing", 3: "damaged"}


def test_a_part_cannot_be_both_missing_and_damaged():
    with pytest.raises(Invalid):
        part_outcomes([1], [1], [1])


def test_step_names_are_trimmed_and_must_be_distinct_and_not_empty():
    assert valid_step_names(["  Wipe   reset ", "Charge"]) == ["Wipe reset", "Charge"]
    with pytest.raises(Invalid) as caught:
        valid_step_names(["Charge", "charge", " "])
    assert [e.field for e in caught.value.errors] == ["steps[1]", "steps[2]"]
    with pytest.raises(Invalid):
        valid_step_names([f"step {i}" for i in range(21)])


def test_steps_left_keeps_the_order_of_the_steps_not_done():
    assert steps_left([("Wipe", True), ("Inspect", False), ("Charge", False)]) == [
        "Inspect",
        "Charge",
    ]


def test_not_seen_cutoff_is_n_days_before_now():
    now = datetime(2026, 12, 1, 16, tzinfo=UTC)
    assert not_seen_since(now, 30) == datetime(2026, 11, 1, 16, tzinfo=UTC)
    with pytest.raises(Invalid):
        not_seen_since(now, -1)
