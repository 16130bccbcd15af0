"""The reservation rules on their own: free devices over time, whether a booking fits, how a
walk-up loan is shortened or refused beside a reservation, and the set-aside place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lending.circulation import DeviceStatus, PlaceFacts, next_place
from lending.circulation.codes import Code
from lending.circulation.reservations import (
    Booking,
    ReservationRule,
    WalkUpDue,
    booking_refusal,
    capped_due_at,
    first_shortfall,
    free_steps,
    transition_refusal,
)

NOW = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
H = timedelta(hours=1)
RULE = ReservationRule("laptop", lead_time_hours=24, max_length_hours=8, buffer_minutes=60)


def at(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)


def test_free_devices_step_down_while_bookings_overlap_and_back_up_when_they_end():
    bookings = [Booking(at(2), at(5), 3), Booking(at(4), at(6), 2)]
    steps = [(s.starts_at, s.ends_at, s.free) for s in free_steps(5, bookings, NOW, at(8))]
    assert steps == [
        (NOW, at(2), 5),
        (at(2), at(4), 2),
        (at(4), at(5), 0),
        (at(5), at(6), 3),
        (at(6), at(8), 5),
    ]
    assert first_shortfall(4, bookings, NOW, at(8)) == at(4)
    assert first_shortfall(5, bookings, NOW, at(8)) is None


def test_a_booking_ending_as_another_starts_does_not_overlap_it():
    bookings = [Booking(at(2), at(4), 2)]
    assert [s.free for s in free_steps(2, [*bookings, Booking(at(4), at(6), 2)], at(2), at(6))] == [
        0
    ]
    assert first_shortfall(2, [*bookings, Booking(at(4), at(6), 2)], at(2), at(6)) is None


def test_a_booking_is_refused_inside_the_lead_time_past_the_maximum_or_beyond_the_pool():
    def refused(start, end, quantity=1, pool=5, bookings=()):
        refusal = booking_refusal(
            RULE, NOW, start, end, quantity=quantity, pool=pool, bookings=list(bookings)
        )
        return refusal.code if refusal else None

    assert refused(at(23), at(25)) == Code.RESERVATION_LEAD_TIME
    assert refused(at(30), at(39)) == Code.RESERVATION_TOO_LONG
    assert refused(at(30), at(32), quantity=6) == Code.RESERVATION_UNAVAILABLE
    # The buffer after an earlier booking counts: free again only at its end plus an hour.
    earlier = [Booking(at(26), at(30) + H, 5)]
    assert refused(at(30.5), at(32), bookings=earlier) == Code.RESERVATION_UNAVAILABLE
    assert refused(at(31), at(32), bookings=earlier) is None


def test_a_walk_up_loan_is_due_the_buffer_before_the_reservation_it_would_leave_short():
    reservation = Booking(at(48), at(51), 2, reservation=7)
    decided = capped_due_at(RULE, NOW, at(24 * 14), pool=2, bookings=[reservation], device=1)
    assert decided == WalkUpDue(at(47), 7, at(48))
    # With a third device in the pool the loan keeps its own due date.
    kept = capped_due_at(RULE, NOW, at(24 * 14), pool=3, bookings=[reservation], device=1)
    assert kept == WalkUpDue(at(24 * 14))


def test_a_walk_up_loan_is_refused_when_it_would_be_back_less_than_an_hour_from_now():
    soon = Booking(at(1.5), at(3), 2, reservation=7)
    refusal = capped_due_at(RULE, NOW, at(24 * 14), pool=2, bookings=[soon], device=1)
    assert refusal.code == Code.DEVICE_RESERVED and refusal.facts["reservation"] == 7


def test_a_device_named_in_a_reservation_is_due_back_before_it_even_when_the_pool_is_large():
    named = [Booking(at(72), at(75), 1, reservation=9)]
    decided = capped_due_at(RULE, NOW, at(24 * 14), pool=50, bookings=named, device=1, named=named)
    assert decided.due_at == at(71) and decided.reservation == 9


def test_a_renewal_that_would_gain_nothing_before_the_reservation_is_refused():
    reservation = Booking(at(48), at(51), 2, reservation=7)
    refusal = capped_due_at(
        RULE, NOW, at(24 * 14), pool=2, bookings=[reservation], device=1, earliest=at(47.5)
    )
    assert refusal.code == Code.DEVICE_RESERVED


def test_only_an_open_reservation_can_be_confirmed_cancelled_or_picked_up():
    assert transition_refusal("requested", "confirm", 1) is None
    assert transition_refusal("confirmed", "confirm", 1).code == Code.RESERVATION_NOT_OPEN
    assert transition_refusal("picked_up", "cancel", 1).code == Code.RESERVATION_NOT_OPEN
    assert transition_refusal("ready", "pick_up", 1) is None
    assert "cannot be picked up" in transition_refusal("no_show", "pick_up", 3).detail


def test_a_returned_device_a_reservation_needs_is_set_aside_before_the_waitlist():
    place = next_place(PlaceFacts(reservation_unit=4, waiting_hold=9))
    assert place.status is DeviceStatus.SET_ASIDE and place.unit_id == 4
    # Damage and return-to-service steps still come first.
    assert next_place(PlaceFacts(damaged=True, reservation_unit=4)).status is DeviceStatus.IN_REPAIR
    processing = next_place(PlaceFacts(needs_processing=True, reservation_unit=4))
    assert processing.status is DeviceStatus.IN_PROCESSING


def test_the_fewest_free_each_day_comes_from_the_steps_that_touch_it():
    from lending.circulation.reservations import fewest_free_in

    bookings = [Booking(at(2), at(5), 3), Booking(at(30), at(31), 1)]
    steps = free_steps(4, bookings, NOW, at(48))
    days = [(NOW, at(24)), (at(24), at(48)), (at(48), at(72))]
    assert fewest_free_in(steps, days) == [1, 3, None]
