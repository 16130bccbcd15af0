"""Where a device goes next (lending.circulation.lifecycle.next_place): after a checkin, a
repair, return to service, or a hold that closed on the hold shelf."""

import pytest

from lending.circulation import DeviceStatus, NextPlace, PlaceFacts, next_place


def _place(**facts):
    return next_place(PlaceFacts(**facts))


def test_checkin_sends_device_to_hold_shelf_for_the_first_waiting_hold():
    assert _place(waiting_hold=42) == NextPlace(DeviceStatus.ON_HOLD_SHELF, 42)


def test_a_kind_with_processing_steps_is_processed_before_a_waiting_hold_gets_it():
    place = _place(waiting_hold=42, needs_processing=True)
    assert place.status == "in_processing"
    assert place.hold_id is None
    assert place.starts_processing


def test_a_hold_with_id_zero_still_counts_as_waiting():
    assert _place(waiting_hold=0) == NextPlace(DeviceStatus.ON_HOLD_SHELF, 0)


def test_checkin_without_a_hold_goes_to_processing_when_the_kind_has_return_steps():
    assert _place(needs_processing=True) == NextPlace(DeviceStatus.IN_PROCESSING)


def test_checkin_without_a_hold_or_processing_steps_makes_the_device_available():
    place = _place()
    assert place == NextPlace(DeviceStatus.AVAILABLE)
    assert place.hold_id is None
    assert not place.starts_processing


def test_a_damaged_device_goes_to_repair_even_when_someone_waits_or_it_has_steps():
    for needs_processing in (True, False):
        place = _place(damaged=True, needs_processing=needs_processing, waiting_hold=7)
        assert place == NextPlace(DeviceStatus.IN_REPAIR)


def test_a_device_beyond_repair_is_retired_and_fills_no_hold():
    assert _place(retire=True, waiting_hold=7, needs_processing=True) == NextPlace(
        DeviceStatus.RETIRED
    )


def test_after_processing_a_waiting_hold_gets_the_device_else_it_is_available():
    assert _place(waiting_hold=7).status == "on_hold_shelf"
    assert _place().status == "available"


def test_a_repaired_device_goes_through_processing_when_its_kind_has_steps():
    assert _place(needs_processing=True, waiting_hold=7).status == "in_processing"
    assert _place(waiting_hold=7).status == "on_hold_shelf"
    assert _place().status == "available"


@pytest.mark.parametrize(
    ("hold", "processing", "status", "hold_id"),
    [
        (7, True, "in_processing", None),
        (7, False, "on_hold_shelf", 7),
        (None, True, "in_processing", None),
        (None, False, "available", None),
    ],
)
def test_checkin_routing_table(hold, processing, status, hold_id):
    place = _place(waiting_hold=hold, needs_processing=processing)
    assert (place.status, place.hold_id) == (status, hold_id)


def test_only_the_hold_shelf_place_carries_a_hold_id():
    for facts in (
        PlaceFacts(needs_processing=True, waiting_hold=3),
        PlaceFacts(damaged=True, waiting_hold=3),
        PlaceFacts(retire=True, waiting_hold=3),
        PlaceFacts(),
    ):
        assert next_place(facts).hold_id is None


def test_loan_and_hold_statuses_are_the_rules_own_and_overdue_is_never_stored():
    from lending.circulation import OPEN_HOLD_STATUSES, HoldStatus, LoanStatus

    assert [s.value for s in LoanStatus] == ["active", "returned", "lost"]
    assert "overdue" not in {s.value for s in LoanStatus}
    assert OPEN_HOLD_STATUSES == ("waiting", "ready")
    assert {s.value for s in HoldStatus} >= set(OPEN_HOLD_STATUSES)
