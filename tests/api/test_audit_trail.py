"""The audit trail: every change made through the API writes exactly one event naming who did
it, what they did and to which subject (device barcode, card number, branch code, policy kind
or staff username). Refused requests write nothing.
"""

from __future__ import annotations


def actions(events):
    return [e["action"] for e in events]


# ---- circulation events -----------------------------------------------------------------


async def test_checkout_writes_one_event_on_the_device(desk):
    loan = await desk.checked_out("P001", "DEV001")

    events = await desk.events(subject="DEV001")

    assert actions(events) == ["checkout", "device_created"]
    checkout = events[0]
    assert checkout["actor"] == "desk"
    assert checkout["subject"] == "DEV001"
    assert checkout["at"] == "2026-12-01T10:00:00-06:00"
    assert checkout["details"]["patron"] == "P001"
    assert checkout["details"]["loan"] == loan["id"]


async def test_checkin_writes_one_event_on_the_device(desk):
    loan = await desk.checked_out("P001", "DEV001")

    await desk.checked_in("DEV001")

    events = await desk.events(subject="DEV001")
    assert actions(events) == ["checkin", "checkout", "device_created"]
    assert events[0]["actor"] == "desk"
    assert events[0]["details"]["loan"] == loan["id"]
    assert events[0]["details"]["patron"] == "P001"


async def test_renewal_writes_one_event_on_the_device(desk):
    loan = await desk.checked_out("P001", "DEV001")

    await desk.renew(loan["id"])

    [renew] = await desk.events(action="renew")
    assert renew["subject"] == "DEV001"
    assert renew["actor"] == "desk"
    assert renew["details"]["loan"] == loan["id"]


async def test_a_resident_renewal_names_the_resident_as_actor(desk):
    loan = await desk.checked_out("P001", "DEV001")
    resident = await desk.api.login(card_number="P001", pin="1234")

    r = await desk.client.post(f"/api/me/loans/{loan['id']}/renew", headers=resident)
    assert r.status_code == 200, r.text

    [renew] = await desk.events(action="renew")
    assert renew["subject"] == "DEV001"
    assert renew["actor"] == "patron:P001"


async def test_checkin_to_a_waiting_hold_also_records_the_hold_ready(desk):
    await desk.checked_out("P001", "DEV001")
    hold = await desk.hold("P003")

    await desk.checked_in("DEV001")

    events = await desk.events(subject="DEV001")
    assert actions(events) == ["hold_ready", "checkin", "checkout", "device_created"]
    assert events[0]["details"]["hold"] == hold["id"]
    assert events[0]["details"]["patron"] == "P003"


async def test_fulfilling_a_hold_at_checkout_writes_only_the_checkout(desk):
    await desk.checked_out("P001", "DEV001")
    hold = await desk.hold("P003")
    await desk.checked_in("DEV001")

    await desk.checked_out("P003", "DEV001")

    events = await desk.events(subject="DEV001")
    assert actions(events)[:2] == ["checkout", "hold_ready"]
    assert events[0]["details"]["hold_fulfilled"] == hold["id"]


async def test_placing_and_cancelling_a_hold_are_recorded_on_the_patron(desk):
    hold = await desk.hold("P003", kind="laptop")

    await desk.cancel_hold(hold["id"])

    events = await desk.events(subject="P003")
    assert actions(events) == ["hold_cancelled", "hold_placed", "patron_created"]
    assert all(e["actor"] in ("desk", "admin") for e in events)
    assert events[0]["details"]["hold"] == hold["id"]


async def test_cancelling_a_ready_hold_records_the_next_hold_ready_on_the_device(desk):
    await desk.checked_out("P001", "DEV001")
    first = await desk.hold("P003")
    await desk.travel(minutes=1)
    second = await desk.hold("P002")
    await desk.checked_in("DEV001")

    await desk.cancel_hold(first["id"])

    ready = await desk.events(subject="DEV001", action="hold_ready")
    assert [e["details"]["hold"] for e in ready] == [second["id"], first["id"]]


# ---- refusals write nothing -------------------------------------------------------------


async def test_a_refused_checkout_writes_no_event_and_no_loan(desk):
    await desk.patch_patron("P001", blocked=True)
    before = await desk.events()

    r = await desk.checkout("P001", "DEV001")

    assert desk.problem(r, 409) == "patron_blocked"
    assert await desk.events() == before
    assert (await desk.loans())["total"] == 0
    assert (await desk.device("DEV001"))["status"] == "available"


async def test_a_checkout_refused_for_the_hold_shelf_leaves_the_hold_ready(desk):
    await desk.checked_out("P001", "DEV001")
    await desk.hold("P003")
    await desk.checked_in("DEV001")
    before = await desk.events()

    r = await desk.checkout("P002", "DEV001")

    assert desk.problem(r, 409) == "device_unavailable"
    assert await desk.events() == before
    assert [h["status"] for h in (await desk.holds())["items"]] == ["ready"]


async def test_a_hold_shelf_device_sent_to_repair_records_that_its_hold_went_back_in_the_queue(
    desk,
):
    await desk.checked_out("P001", "DEV001")
    await desk.hold("P003")
    await desk.checked_in("DEV001")

    await desk.set_device_status("DEV001", "in_repair")

    [event] = await desk.events(subject="DEV001", action="hold_back_in_queue")
    assert event["details"] == {
        "hold": event["details"]["hold"],
        "reason": "device_in_repair",
        "patron": "P003",
    }
    assert [h["status"] for h in (await desk.holds())["items"]] == ["waiting"]


async def test_a_refused_checkin_writes_no_event(desk):
    before = await desk.events()

    r = await desk.checkin("DEV001")

    assert desk.problem(r, 409) == "not_on_loan"
    assert await desk.events() == before


async def test_a_refused_hold_writes_no_event(desk):
    await desk.hold("P001")
    before = await desk.events()

    r = await desk.place_hold("P001", branch="EAST")

    assert desk.problem(r, 409) == "duplicate_hold"
    assert await desk.events() == before


async def test_a_refused_device_status_change_writes_no_event(desk):
    await desk.checked_out("P001", "DEV001")
    before = await desk.events()

    r = await desk.set_device_status("DEV001", "lost")

    assert desk.problem(r, 409) == "device_on_loan"
    assert await desk.events() == before


async def test_an_invalid_policy_writes_no_event(desk):
    r = await desk.client.put("/api/policies/hotspot", json={"loan_days": 0}, headers=desk.admin)

    assert desk.problem(r, 422) == "validation_error"
    assert await desk.events(action="policy_updated") == []


# ---- inventory events -------------------------------------------------------------------


async def test_device_changes_are_recorded_on_the_barcode(desk):
    await desk.add_device("HS-100")

    await desk.set_device_status("HS-100", "in_repair")

    events = await desk.events(subject="HS-100")
    assert actions(events) == ["device_updated", "device_created"]
    assert all(e["actor"] == "admin" for e in events)
    assert events[0]["details"]["status"] == "in_repair"


async def test_patron_changes_are_recorded_on_the_card_number(desk):
    await desk.patch_patron("P003", phone="555-0100")
    await desk.patch_patron("P003", blocked=True, block_reason="Fees")
    await desk.patch_patron("P003", blocked=False, by="admin")  # lifting a block: a supervisor

    events = await desk.events(subject="P003")

    assert actions(events) == [
        "patron_unblocked",
        "patron_blocked",
        "patron_updated",
        "patron_created",
    ]
    assert [e["actor"] for e in events[:3]] == ["admin", "desk", "desk"]
    assert events[1]["details"]["block_reason"] == "Fees"


async def test_a_pin_change_is_recorded_without_the_pin(desk):
    await desk.patch_patron("P003", pin="8642", by="admin")

    [event] = await desk.events(subject="P003", action="patron_updated")

    assert event["details"]["changed"] == ["pin"]
    assert "8642" not in str(event)


async def test_branch_changes_are_recorded_on_the_branch_code(desk):
    await desk.client.post(
        "/api/branches", json={"code": "WEST", "name": "West"}, headers=desk.admin
    )
    await desk.close_branch("2026-12-25", branch="WEST", reason="Christmas")

    events = await desk.events(subject="WEST")

    assert actions(events) == ["branch_closed_date_added", "branch_created"]
    assert events[0]["details"]["date"] == "2026-12-25"
    assert all(e["actor"] == "admin" for e in events)


async def test_policy_changes_are_recorded_on_the_kind(desk):
    await desk.set_policy("laptop", loan_days=7)

    [event] = await desk.events(subject="laptop")

    assert event["action"] == "policy_updated"
    assert event["actor"] == "admin"
    assert event["details"]["loan_days"] == 7


async def test_adding_staff_is_recorded_on_the_username(desk):
    r = await desk.client.post(
        "/api/staff",
        json={"username": "casey", "role": "desk", "password": "long-enough-pw"},
        headers=desk.admin,
    )
    assert r.status_code == 201, r.text

    [event] = await desk.events(subject="casey")

    assert event["action"] == "staff_added"
    assert event["actor"] == "admin"
    assert event["details"]["role"] == "desk"
    assert "long-enough-pw" not in str(event)


async def test_events_filter_by_actor_and_action(desk):
    await desk.checked_out("P001", "DEV001")
    await desk.checked_out("P003", "DEV004")
    await desk.set_policy("tablet", loan_days=3)

    by_desk = await desk.events(actor="desk", action="checkout")
    by_admin = await desk.events(actor="admin", action="policy_updated")

    assert [e["subject"] for e in by_desk] == ["DEV004", "DEV001"]
    assert [e["subject"] for e in by_admin] == ["tablet"]


# ---- GET /api/events --------------------------------------------------------------------


async def test_events_endpoint_lists_events_newest_first(desk):
    await desk.checked_out("P001", "DEV001")

    r = await desk.client.get("/api/events", headers=desk.admin)

    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(await desk.events())
    first = body["items"][0]
    assert set(first) == {"at", "actor", "action", "subject", "details", "request_id"}
    assert (first["action"], first["subject"], first["actor"]) == ("checkout", "DEV001", "desk")


async def test_events_endpoint_filters_by_subject_actor_and_action(desk):
    await desk.checked_out("P001", "DEV001")
    await desk.checked_in("DEV001")
    await desk.set_policy("tablet", loan_days=3)

    async def subjects(**params):
        r = await desk.client.get("/api/events", params=params, headers=desk.admin)
        assert r.status_code == 200, r.text
        return [(e["action"], e["subject"]) for e in r.json()["items"]]

    assert await subjects(subject="DEV001") == [
        ("checkin", "DEV001"),
        ("checkout", "DEV001"),
        ("device_created", "DEV001"),
    ]
    assert await subjects(actor="desk") == [("checkin", "DEV001"), ("checkout", "DEV001")]
    assert await subjects(action="policy_updated") == [("policy_updated", "tablet")]
    assert await subjects(actor="admin", subject="DEV001") == [("device_created", "DEV001")]


async def test_events_endpoint_is_for_admins_only(desk):
    r = await desk.client.get("/api/events", headers=desk.desk)

    assert desk.problem(r, 403) == "forbidden"
