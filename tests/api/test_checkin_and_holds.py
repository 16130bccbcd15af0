"""POST /api/checkin and the hold queue (/api/holds): who gets a returned device, and when.

The pinned clock reads 2026-12-01 10:00 in Chicago (MAIN); hotspot holds stay ready 3 days.
"""

from __future__ import annotations

# ---- checkin ----------------------------------------------------------------------------


async def test_checkin_returns_the_closed_loan_and_the_available_device(desk):
    loan = await desk.checked_out("P001", "DEV001")
    await desk.travel(days=2)

    body = await desk.checked_in("DEV001")

    assert body["loan"]["id"] == loan["id"]
    assert body["loan"]["status"] == "returned"
    assert body["loan"]["returned_at"] == "2026-12-03T10:00:00-06:00"
    assert body["loan"]["due_at"] == loan["due_at"]
    assert body["device"]["barcode"] == "DEV001"
    assert body["device"]["status"] == "available"
    assert body["device"]["current_loan"] is None
    assert body["hold"] is None


async def test_checkin_of_an_overdue_loan_closes_it_as_returned(desk):
    await desk.checked_out("P001", "DEV001")
    await desk.travel(days=30)

    body = await desk.checked_in("DEV001")

    assert body["loan"]["status"] == "returned"
    assert body["device"]["status"] == "available"


async def test_checkin_accepts_a_scanned_barcode(desk):
    await desk.checked_out("P001", "DEV001")

    body = await desk.checked_in("DEV001\r\n")

    assert body["device"]["barcode"] == "DEV001"


async def test_checkin_of_a_device_not_on_loan_is_refused(desk):
    r = await desk.checkin("DEV001")

    assert desk.problem(r, 409) == "not_on_loan"


async def test_checking_in_twice_is_refused_the_second_time(desk):
    await desk.checked_out("P001", "DEV001")
    await desk.checked_in("DEV001")

    r = await desk.checkin("DEV001")

    assert desk.problem(r, 409) == "not_on_loan"


async def test_checkin_of_an_unknown_device_is_device_not_found(desk):
    r = await desk.checkin("NOPE")

    assert desk.problem(r, 404) == "device_not_found"


async def test_returned_device_can_be_checked_out_again(desk):
    await desk.checked_out("P001", "DEV001")
    await desk.checked_in("DEV001")

    loan = await desk.checked_out("P003", "DEV001")

    assert loan["patron"] == "P003"


# ---- checkin fills a waiting hold -------------------------------------------------------


async def test_checkin_puts_the_device_on_the_hold_shelf_for_a_waiting_patron(desk):
    await desk.checked_out("P001", "DEV001")
    hold = await desk.hold("P003")

    body = await desk.checked_in("DEV001")

    assert body["loan"]["status"] == "returned"
    assert body["device"]["status"] == "on_hold_shelf"
    assert body["hold"]["id"] == hold["id"]
    assert body["hold"]["status"] == "ready"
    assert body["hold"]["patron"] == "P003"
    assert body["hold"]["device"] == "DEV001"
    assert body["hold"]["ready_until"] == "2026-12-04T23:59:59-06:00"
    assert (await desk.device("DEV001"))["status"] == "on_hold_shelf"


async def test_ready_until_follows_the_policy_and_skips_closed_dates(desk):
    await desk.set_policy("hotspot", hold_pickup_days=5)
    await desk.close_branch("2026-12-06")
    await desk.checked_out("P001", "DEV001")
    await desk.hold("P003")

    body = await desk.checked_in("DEV001")

    assert body["hold"]["ready_until"] == "2026-12-07T23:59:59-06:00"


async def test_a_hold_at_an_eastern_branch_is_ready_until_the_end_of_its_own_day(desk):
    await desk.add_device("EAST01", branch="EAST")
    await desk.checked_out("P001", "EAST01")
    hold = await desk.hold("P003", branch="EAST")
    assert hold["placed_at"] == "2026-12-01T11:00:00-05:00"

    body = await desk.checked_in("EAST01")

    assert body["hold"]["id"] == hold["id"]
    assert body["hold"]["ready_until"] == "2026-12-04T23:59:59-05:00"


async def test_checking_out_a_held_device_to_its_patron_fulfils_the_hold(desk):
    await desk.checked_out("P001", "DEV001")
    hold = await desk.hold("P003")
    await desk.checked_in("DEV001")

    loan = await desk.checked_out("P003", "DEV001")

    assert loan["patron"] == "P003"
    fulfilled = await desk.holds(status="fulfilled")
    assert [h["id"] for h in fulfilled["items"]] == [hold["id"]]
    assert fulfilled["items"][0]["status"] == "fulfilled"
    assert (await desk.holds())["items"] == []
    assert (await desk.device("DEV001"))["status"] == "on_loan"


async def test_borrowing_another_device_of_the_kind_fulfils_the_patrons_waiting_hold(desk):
    hold = await desk.hold("P003")
    await desk.checked_out("P001", "DEV001")

    await desk.checked_out("P003", "DEV002")

    assert [h["id"] for h in (await desk.holds(status="fulfilled"))["items"]] == [hold["id"]]
    assert (await desk.holds())["items"] == []
    body = await desk.checked_in("DEV001")
    assert body["hold"] is None
    assert body["device"]["status"] == "available"


async def test_borrowing_another_device_passes_the_patrons_held_device_to_the_next_in_line(desk):
    await desk.checked_out("P001", "DEV001")
    first = await desk.hold("P003")
    await desk.travel(minutes=1)
    second = await desk.hold("P002")
    await desk.checked_in("DEV001")

    await desk.checked_out("P003", "DEV002")

    fulfilled = (await desk.holds(status="fulfilled"))["items"]
    assert [h["id"] for h in fulfilled] == [first["id"]]
    [ready] = (await desk.holds())["items"]
    assert (ready["id"], ready["status"], ready["device"]) == (second["id"], "ready", "DEV001")
    assert (await desk.checked_out("P002", "DEV001"))["patron"] == "P002"


async def test_borrowing_the_last_unit_frees_the_held_device_when_nobody_else_waits(desk):
    await desk.checked_out("P001", "DEV001")
    await desk.hold("P003")
    await desk.checked_in("DEV001")

    await desk.checked_out("P003", "DEV002")

    assert (await desk.holds())["items"] == []
    assert (await desk.device("DEV001"))["status"] == "available"


async def test_borrowing_a_device_of_another_kind_keeps_the_patrons_hold(desk):
    hold = await desk.hold("P003", kind="laptop")

    await desk.checked_out("P003", "DEV001")

    assert [h["id"] for h in (await desk.holds(status="waiting"))["items"]] == [hold["id"]]


async def test_held_device_is_refused_to_another_patron(desk):
    await desk.checked_out("P001", "DEV001")
    await desk.hold("P003")
    await desk.checked_in("DEV001")

    r = await desk.checkout("P001", "DEV001")

    assert desk.problem(r, 409) == "device_unavailable"
    assert [h["status"] for h in (await desk.holds())["items"]] == ["ready"]


async def test_a_hold_at_another_branch_does_not_take_the_returned_device(desk):
    await desk.checked_out("P001", "DEV001")
    await desk.hold("P003", branch="EAST")

    body = await desk.checked_in("DEV001")

    assert body["hold"] is None
    assert body["device"]["status"] == "available"
    assert [h["status"] for h in (await desk.holds())["items"]] == ["waiting"]


async def test_a_hold_for_another_kind_does_not_take_the_returned_device(desk):
    await desk.checked_out("P001", "DEV001")
    await desk.hold("P003", kind="laptop")

    body = await desk.checked_in("DEV001")

    assert body["hold"] is None
    assert body["device"]["status"] == "available"


async def test_checkin_serves_the_queue_in_the_order_holds_were_placed(desk):
    # Two hotspots each, so P003 may wait for a second one while borrowing the first.
    await desk.set_policy(
        "hotspot", max_active_loans_per_patron=2, max_active_loans_per_household=2
    )
    await desk.checked_out("P001", "DEV001")
    await desk.checked_out("P003", "DEV002")
    await desk.travel(minutes=1)
    first = await desk.hold("P002")
    await desk.travel(minutes=1)
    second = await desk.hold("P003", kind="hotspot")

    one = await desk.checked_in("DEV001")
    two = await desk.checked_in("DEV002")

    assert one["hold"]["id"] == first["id"]
    assert one["hold"]["patron"] == "P002"
    assert two["hold"]["id"] == second["id"]
    assert two["hold"]["patron"] == "P003"
    assert two["hold"]["device"] == "DEV002"


# ---- placing and listing holds ----------------------------------------------------------


async def test_placing_a_hold_returns_it_waiting_with_its_position(desk):
    r = await desk.place_hold("P001")

    assert r.status_code == 201, r.text
    hold = r.json()
    assert isinstance(hold["id"], int)
    assert hold["patron"] == "P001"
    assert hold["kind"] == "hotspot"
    assert hold["branch"] == "MAIN"
    assert hold["status"] == "waiting"
    assert hold["position"] == 1
    assert hold["device"] is None
    assert hold["ready_until"] is None
    assert hold["placed_at"] == "2026-12-01T10:00:00-06:00"


async def test_a_hold_is_waiting_even_when_a_device_is_on_the_shelf(desk):
    hold = await desk.hold("P001")

    assert hold["status"] == "waiting"
    assert (await desk.device("DEV001"))["status"] == "available"


async def test_later_holds_queue_behind_earlier_ones(desk):
    await desk.hold("P001")
    await desk.travel(minutes=1)
    second = await desk.hold("P002")
    await desk.travel(minutes=1)
    third = await desk.hold("P003")

    assert second["position"] == 2
    assert third["position"] == 3


async def test_queues_are_separate_per_kind_and_branch(desk):
    await desk.hold("P001")
    laptop = await desk.hold("P002", kind="laptop")
    east = await desk.hold("P003", branch="EAST")

    assert laptop["position"] == 1
    assert east["position"] == 1


async def test_a_patron_cannot_hold_the_same_kind_twice(desk):
    await desk.hold("P001")

    r = await desk.place_hold("P001")

    assert desk.problem(r, 409) == "duplicate_hold"


async def test_a_patron_cannot_hold_the_same_kind_at_another_branch(desk):
    await desk.hold("P001")

    r = await desk.place_hold("P001", branch="EAST")

    assert desk.problem(r, 409) == "duplicate_hold"


async def test_a_ready_hold_also_counts_as_a_duplicate(desk):
    await desk.checked_out("P001", "DEV001")
    await desk.hold("P003")
    await desk.checked_in("DEV001")

    r = await desk.place_hold("P003", branch="EAST")

    assert desk.problem(r, 409) == "duplicate_hold"


async def test_a_patron_may_hold_another_kind(desk):
    await desk.hold("P001")

    laptop = await desk.hold("P001", kind="laptop")

    assert laptop["kind"] == "laptop"


async def test_a_patron_may_hold_the_kind_again_after_cancelling(desk):
    hold = await desk.hold("P001")
    assert (await desk.cancel_hold(hold["id"])).status_code == 200

    again = await desk.hold("P001")

    assert again["status"] == "waiting"


async def test_a_hold_for_an_unknown_patron_is_patron_not_found(desk):
    r = await desk.place_hold("P999")

    assert desk.problem(r, 404) == "patron_not_found"


async def test_a_hold_for_an_unknown_kind_or_branch_is_invalid(desk):
    kind = await desk.place_hold("P001", kind="bicycle")
    branch = await desk.place_hold("P001", branch="NOWHERE")

    assert desk.problem(kind, 422) == "validation_error"
    assert [e["field"] for e in kind.json()["errors"]] == ["kind"]
    assert desk.problem(branch, 422) == "validation_error"
    assert [e["field"] for e in branch.json()["errors"]] == ["branch"]


async def test_hold_list_shows_open_holds_in_queue_order_by_default(desk):
    first = await desk.hold("P001")
    await desk.travel(minutes=1)
    second = await desk.hold("P002")
    await desk.travel(minutes=1)
    third = await desk.hold("P003")
    assert (await desk.cancel_hold(second["id"])).status_code == 200

    listed = await desk.holds()

    assert listed["total"] == 2
    assert [h["id"] for h in listed["items"]] == [first["id"], third["id"]]
    assert [h["position"] for h in listed["items"]] == [1, 2]


async def test_hold_list_filters_by_status_kind_and_branch(desk):
    hotspot = await desk.hold("P001")
    laptop = await desk.hold("P002", kind="laptop")
    east = await desk.hold("P003", branch="EAST")
    assert (await desk.cancel_hold(laptop["id"])).status_code == 200

    cancelled = await desk.holds(status="cancelled")
    waiting = await desk.holds(status="waiting")
    at_east = await desk.holds(branch="EAST")
    hotspots = await desk.holds(kind="hotspot", branch="MAIN")

    assert [h["id"] for h in cancelled["items"]] == [laptop["id"]]
    assert {h["id"] for h in waiting["items"]} == {hotspot["id"], east["id"]}
    assert [h["id"] for h in at_east["items"]] == [east["id"]]
    assert [h["id"] for h in hotspots["items"]] == [hotspot["id"]]


async def test_hold_list_refuses_an_unknown_status(desk):
    r = await desk.client.get("/api/holds", params={"status": "lost"}, headers=desk.desk)

    assert desk.problem(r, 422) == "validation_error"


# ---- cancelling holds -------------------------------------------------------------------


async def test_cancelling_a_waiting_hold_returns_it_cancelled(desk):
    hold = await desk.hold("P001")

    r = await desk.cancel_hold(hold["id"])

    assert r.status_code == 200, r.text
    assert r.json()["id"] == hold["id"]
    assert r.json()["status"] == "cancelled"
    assert (await desk.holds())["total"] == 0


async def test_cancelling_a_hold_moves_the_others_up_the_queue(desk):
    first = await desk.hold("P001")
    await desk.travel(minutes=1)
    await desk.hold("P002")

    await desk.cancel_hold(first["id"])

    assert [h["position"] for h in (await desk.holds())["items"]] == [1]


async def test_cancelling_a_ready_hold_passes_the_device_to_the_next_patron(desk):
    await desk.checked_out("P001", "DEV001")
    first = await desk.hold("P003")
    await desk.travel(minutes=1)
    second = await desk.hold("P002")
    ready = (await desk.checked_in("DEV001"))["hold"]
    assert ready["id"] == first["id"]

    r = await desk.cancel_hold(first["id"])

    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    now_ready = [h for h in (await desk.holds())["items"] if h["status"] == "ready"]
    assert [h["id"] for h in now_ready] == [second["id"]]
    assert now_ready[0]["device"] == "DEV001"
    assert now_ready[0]["ready_until"] == "2026-12-04T23:59:59-06:00"
    assert (await desk.device("DEV001"))["status"] == "on_hold_shelf"
    assert (await desk.checked_out("P002", "DEV001"))["patron"] == "P002"


async def test_cancelling_the_only_ready_hold_makes_the_device_available(desk):
    await desk.checked_out("P001", "DEV001")
    hold = await desk.hold("P003")
    await desk.checked_in("DEV001")

    r = await desk.cancel_hold(hold["id"])

    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    assert (await desk.device("DEV001"))["status"] == "available"
    assert (await desk.checked_out("P001", "DEV001"))["patron"] == "P001"


async def test_cancelling_an_unknown_hold_is_not_found(desk):
    r = await desk.cancel_hold(999999)

    assert desk.problem(r, 404) == "hold_not_found"


async def test_cancelling_a_closed_hold_is_refused(desk):
    hold = await desk.hold("P001")
    await desk.cancel_hold(hold["id"])

    r = await desk.cancel_hold(hold["id"])

    assert desk.problem(r, 409) == "hold_not_open"


async def test_a_patron_at_the_loan_limit_for_a_kind_cannot_join_its_waitlist(desk):
    await desk.checked_out("P003", "DEV001")  # hotspot limit per patron is 1 by default

    r = await desk.place_hold("P003", "hotspot")

    assert desk.problem(r, 409) == "loan_limit_reached"
    assert "already has 1 hotspot loan" in r.json()["detail"]
    assert (await desk.holds(patron="P003"))["total"] == 0
    assert (await desk.place_hold("P003", "laptop")).status_code == 201  # another kind is fine
