"""Where a returned device goes (lending.circulation.rules.route_checkin)."""

import pytest

from lending.circulation import CheckinRoute, route_checkin


def test_checkin_sends_device_to_hold_shelf_for_the_first_waiting_hold():
    assert route_checkin(first_waiting_hold=42, has_processing_steps=False) == CheckinRoute(
        "on_hold_shelf", 42
    )


def test_a_kind_with_processing_steps_is_processed_before_a_waiting_hold_gets_it():
    route = route_checkin(first_waiting_hold=42, has_processing_steps=True)
    assert route.device_status == "in_processing"
    assert route.hold_id is None


def test_a_hold_with_id_zero_still_counts_as_waiting():
    assert route_checkin(first_waiting_hold=0, has_processing_steps=False) == CheckinRoute(
        "on_hold_shelf", 0
    )


def test_checkin_without_a_hold_goes_to_processing_when_the_kind_has_return_steps():
    route = route_checkin(first_waiting_hold=None, has_processing_steps=True)
    assert route == CheckinRoute("in_processing")
    assert route.hold_id is None


def test_checkin_without_a_hold_or_processing_steps_makes_the_device_available():
    route = route_checkin(first_waiting_hold=None, has_processing_steps=False)
    assert route == CheckinRoute("available")
    assert route.hold_id is None


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
    route = route_checkin(hold, processing)
    assert (route.device_status, route.hold_id) == (status, hold_id)


def test_only_the_hold_shelf_route_carries_a_hold_id():
    for processing in (True, False):
        assert route_checkin(None, processing).hold_id is None
