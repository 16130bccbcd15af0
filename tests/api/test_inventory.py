"""Inventory through HTTP: devices, patrons, branches with closed dates, and loan policies."""

from __future__ import annotations

import pytest

# ---- devices ----------------------------------------------------------------------------


async def test_creating_a_device_returns_it_available(desk):
    r = await desk.client.post(
        "/api/devices",
        json={
            "barcode": "HS-100",
            "kind": "hotspot",
            "model": "Nighthawk M6",
            "serial_number": "NH6-0001",
            "branch": "EAST",
            "imei": "490154203237518",
            "replacement_cost": 249.99,
            "notes": "Blue case",
        },
        headers=desk.admin,
    )

    assert r.status_code == 201, r.text
    device = r.json()
    assert device["barcode"] == "HS-100"
    assert device["kind"] == "hotspot"
    assert device["model"] == "Nighthawk M6"
    assert device["serial_number"] == "NH6-0001"
    assert device["imei"] == "490154203237518"
    assert device["branch"] == "EAST"
    assert device["status"] == "available"
    assert device["replacement_cost"] == 249.99
    assert device["notes"] == "Blue case"
    assert device["current_loan"] is None
    assert await desk.device("HS-100") == device


async def test_creating_a_device_with_a_taken_barcode_is_refused(desk):
    r = await desk.client.post(
        "/api/devices",
        json={
            "barcode": "DEV001",
            "kind": "laptop",
            "model": "X",
            "serial_number": "S",
            "branch": "MAIN",
        },
        headers=desk.admin,
    )

    assert desk.problem(r, 409) == "duplicate_barcode"


async def test_creating_a_device_at_an_unknown_branch_is_invalid(desk):
    r = await desk.client.post(
        "/api/devices",
        json={
            "barcode": "NEW1",
            "kind": "laptop",
            "model": "X",
            "serial_number": "S",
            "branch": "NOPE",
        },
        headers=desk.admin,
    )

    assert desk.problem(r, 422) == "validation_error"
    assert [e["field"] for e in r.json()["errors"]] == ["branch"]
    missing = await desk.client.get("/api/devices/NEW1", headers=desk.desk)
    assert desk.problem(missing, 404) == "device_not_found"


@pytest.mark.parametrize(("field", "value"), [("kind", "bicycle"), ("imei", "490154203237519")])
async def test_creating_a_device_with_an_invalid_value_names_the_field(desk, field, value):
    body = {
        "barcode": "NEW1",
        "kind": "laptop",
        "model": "X",
        "serial_number": "S",
        "branch": "MAIN",
    }
    body[field] = value

    r = await desk.client.post("/api/devices", json=body, headers=desk.admin)

    assert desk.problem(r, 422) == "validation_error"
    assert [e["field"] for e in r.json()["errors"]] == [field]


async def test_a_14_digit_barcode_with_a_wrong_check_digit_is_refused_on_create_and_change(
    desk,
):
    body = {"kind": "laptop", "model": "X", "serial_number": "S", "branch": "MAIN"}

    typo = await desk.client.post(
        "/api/devices", json={**body, "barcode": "31234000012345"}, headers=desk.admin
    )
    good = await desk.client.post(
        "/api/devices", json={**body, "barcode": "3 1234 00001 2342"}, headers=desk.admin
    )
    rebarcode = await desk.client.patch(
        "/api/devices/DEV001", json={"barcode": "31234000012343"}, headers=desk.admin
    )

    assert desk.problem(typo, 422) == "validation_error"
    [error] = typo.json()["errors"]
    assert error["field"] == "barcode" and "check digit" in error["message"]
    assert "is 2, not 5" in error["message"]
    assert good.status_code == 201 and good.json()["barcode"] == "31234000012342"
    assert desk.problem(rebarcode, 422) == "validation_error"
    assert (await desk.device("DEV001"))["barcode"] == "DEV001"
    missing = await desk.client.get("/api/devices/31234000012345", headers=desk.desk)
    assert desk.problem(missing, 404) == "device_not_found"


async def test_desk_staff_may_read_but_not_add_devices(desk):
    r = await desk.client.post(
        "/api/devices",
        json={
            "barcode": "NEW1",
            "kind": "laptop",
            "model": "X",
            "serial_number": "S",
            "branch": "MAIN",
        },
        headers=desk.desk,
    )

    assert desk.problem(r, 403) == "forbidden"
    assert (await desk.device("DEV001"))["barcode"] == "DEV001"


async def test_getting_a_device_accepts_a_scanned_barcode(desk):
    await desk.add_device("31234000012342")

    r = await desk.client.get("/api/devices/A3 1234 00001 2342B", headers=desk.desk)

    assert r.status_code == 200, r.text
    assert r.json()["barcode"] == "31234000012342"


async def test_getting_an_unknown_device_is_device_not_found(desk):
    r = await desk.client.get("/api/devices/NOPE", headers=desk.desk)

    assert desk.problem(r, 404) == "device_not_found"


async def test_device_shows_its_current_loan(desk):
    loan = await desk.checked_out("P001", "DEV004")

    device = await desk.device("DEV004")

    assert device["status"] == "on_loan"
    assert device["current_loan"]["id"] == loan["id"]
    assert device["current_loan"]["due_at"] == loan["due_at"]


async def _list(desk, **params):
    r = await desk.client.get("/api/devices", params=params, headers=desk.desk)
    assert r.status_code == 200, r.text
    body = r.json()
    return body["total"], [d["barcode"] for d in body["items"]]


async def test_device_list_returns_everything_with_a_total(desk):
    assert await _list(desk) == (5, ["DEV001", "DEV002", "DEV003", "DEV004", "DEV005"])


async def test_device_list_filters_by_kind_status_and_branch(desk):
    await desk.add_device("EAST01", branch="EAST")
    await desk.checked_out("P001", "DEV002")

    assert await _list(desk, kind="laptop") == (2, ["DEV004", "DEV005"])
    assert await _list(desk, status="on_loan") == (1, ["DEV002"])
    assert await _list(desk, branch="EAST") == (1, ["EAST01"])
    assert await _list(desk, kind="hotspot", branch="MAIN", status="available") == (
        2,
        ["DEV001", "DEV003"],
    )


async def test_device_list_search_matches_barcode_serial_and_model(desk):
    await desk.client.post(
        "/api/devices",
        json={
            "barcode": "HS-100",
            "kind": "hotspot",
            "model": "Nighthawk M6",
            "serial_number": "ZX-42",
            "branch": "MAIN",
        },
        headers=desk.admin,
    )

    assert await _list(desk, q="HS-1") == (1, ["HS-100"])
    assert await _list(desk, q="zx-4") == (1, ["HS-100"])
    assert await _list(desk, q="nighthawk") == (1, ["HS-100"])
    assert await _list(desk, q="laptop") == (2, ["DEV004", "DEV005"])
    assert await _list(desk, q="nothing like it") == (0, [])


async def test_device_list_pages(desk):
    total, first = await _list(desk, limit=2)
    _, second = await _list(desk, limit=2, offset=2)

    assert total == 5
    assert first == ["DEV001", "DEV002"]
    assert second == ["DEV003", "DEV004"]


async def test_patching_a_device_changes_only_the_given_fields(desk):
    r = await desk.client.patch(
        "/api/devices/DEV001",
        json={"model": "Inseego 5G", "notes": "New battery", "replacement_cost": 150},
        headers=desk.admin,
    )

    assert r.status_code == 200, r.text
    device = r.json()
    assert device["model"] == "Inseego 5G"
    assert device["notes"] == "New battery"
    assert device["replacement_cost"] == 150
    assert device["serial_number"] == "SN1"
    assert device["status"] == "available"
    assert await desk.device("DEV001") == device


async def test_patching_a_device_can_move_it_to_another_branch(desk):
    r = await desk.client.patch("/api/devices/DEV001", json={"branch": "EAST"}, headers=desk.admin)

    assert r.status_code == 200, r.text
    assert r.json()["branch"] == "EAST"


@pytest.mark.parametrize("status", ["in_repair", "retired", "lost", "available"])
async def test_device_status_can_be_set_when_it_is_not_on_loan(desk, status):
    r = await desk.set_device_status("DEV001", status)

    assert r.status_code == 200, r.text
    assert r.json()["status"] == status


async def test_a_repaired_device_can_go_back_to_available(desk):
    await desk.set_device_status("DEV001", "in_repair")

    r = await desk.set_device_status("DEV001", "available")

    assert r.json()["status"] == "available"
    assert (await desk.checked_out("P001", "DEV001"))["device"] == "DEV001"


@pytest.mark.parametrize("status", ["in_repair", "retired", "lost", "available"])
async def test_device_status_change_refused_while_on_loan(desk, status):
    await desk.checked_out("P001", "DEV001")

    r = await desk.set_device_status("DEV001", status)

    assert desk.problem(r, 409) == "device_on_loan"
    device = await desk.device("DEV001")
    assert device["status"] == "on_loan"
    assert device["current_loan"] is not None


@pytest.mark.parametrize("status", ["on_loan", "on_hold_shelf", "broken"])
async def test_device_status_cannot_be_set_to_a_circulation_or_unknown_status(desk, status):
    r = await desk.set_device_status("DEV001", status)

    assert desk.problem(r, 422) == "validation_error"
    assert [e["field"] for e in r.json()["errors"]] == ["status"]


async def test_taking_a_hold_shelf_device_out_of_service_puts_its_hold_back_in_line(desk):
    await desk.checked_out("P001", "DEV001")
    hold = await desk.hold("P003")
    await desk.checked_in("DEV001")

    r = await desk.set_device_status("DEV001", "in_repair")

    assert r.status_code == 200, r.text
    [waiting] = (await desk.holds())["items"]
    assert waiting["id"] == hold["id"]
    assert waiting["status"] == "waiting"
    assert waiting["device"] is None
    assert waiting["position"] == 1


async def test_patching_an_unknown_device_is_device_not_found(desk):
    r = await desk.client.patch("/api/devices/NOPE", json={"notes": "x"}, headers=desk.admin)

    assert desk.problem(r, 404) == "device_not_found"


# ---- patrons ----------------------------------------------------------------------------


async def test_creating_a_patron_returns_them_with_no_loans_or_holds(desk):
    r = await desk.client.post(
        "/api/patrons",
        json={
            "card_number": "P010",
            "name": "Dora",
            "email": "dora@example.org",
            "phone": "555-0100",
            "language": "es",
            "household": "H9",
            "branch": "EAST",
            "expires_on": "2028-06-30",
            "pin": "4321",
        },
        headers=desk.desk,
    )

    assert r.status_code == 201, r.text
    patron = r.json()
    assert patron == {
        "card_number": "P010",
        "name": "Dora",
        "email": "dora@example.org",
        "phone": "555-0100",
        "language": "es",
        "household": "H9",
        "branch": "EAST",
        "expires_on": "2028-06-30",
        "blocked": False,
        "block_reason": None,
        "loans": [],
        "holds": [],
    }
    assert "pin" not in patron and "pin_hash" not in patron


async def test_creating_a_patron_with_a_taken_card_number_is_refused(desk):
    r = await desk.client.post(
        "/api/patrons", json={"card_number": "P001", "name": "Again"}, headers=desk.desk
    )

    assert desk.problem(r, 409) == "duplicate_card_number"


async def test_getting_a_patron_shows_active_loans_and_open_holds(desk):
    loan = await desk.checked_out("P001", "DEV001")
    await desk.checked_out("P001", "DEV004")
    await desk.checked_in("DEV004")
    hold = await desk.hold("P001", kind="laptop")

    r = await desk.client.get("/api/patrons/P001", headers=desk.desk)

    assert r.status_code == 200, r.text
    patron = r.json()
    assert patron["card_number"] == "P001"
    assert patron["household"] == "H1"
    assert [item["id"] for item in patron["loans"]] == [loan["id"]]
    assert [item["id"] for item in patron["holds"]] == [hold["id"]]


async def test_getting_an_unknown_patron_is_patron_not_found(desk):
    r = await desk.client.get("/api/patrons/P999", headers=desk.desk)

    assert desk.problem(r, 404) == "patron_not_found"


async def test_blocking_a_patron_stores_the_reason(desk):
    patron = await desk.patch_patron("P001", blocked=True, block_reason="Device not returned")

    assert patron["blocked"] is True
    assert patron["block_reason"] == "Device not returned"


async def test_unblocking_a_patron_clears_the_reason_and_allows_checkout(desk):
    await desk.patch_patron("P001", blocked=True, block_reason="Device not returned")

    # Lifting a block is a supervisor's action (patron.unblock): the admin does it.
    r = await desk.client.patch("/api/patrons/P001", json={"blocked": False}, headers=desk.admin)
    assert r.status_code == 200, r.text
    patron = r.json()

    assert patron["blocked"] is False
    assert patron["block_reason"] is None
    assert (await desk.checked_out("P001", "DEV001"))["patron"] == "P001"


async def test_patching_contact_details_keeps_the_rest(desk):
    patron = await desk.patch_patron("P003", email="cy@example.org", phone="555-0199")

    assert patron["email"] == "cy@example.org"
    assert patron["phone"] == "555-0199"
    assert patron["name"] == "Cy"
    assert patron["expires_on"] == "2030-01-01"


async def test_a_new_pin_replaces_the_old_one(desk):
    # Setting a PIN is a supervisor's action (patron.set_pin): the admin does it.
    r = await desk.client.patch("/api/patrons/P001", json={"pin": "8642"}, headers=desk.admin)
    assert r.status_code == 200, r.text

    new = await desk.client.post("/api/auth/token", json={"card_number": "P001", "pin": "8642"})
    old = await desk.client.post("/api/auth/token", json={"card_number": "P001", "pin": "1234"})

    assert new.status_code == 200, new.text
    assert new.json()["role"] == "resident"
    assert desk.problem(old, 401) == "invalid_credentials"


async def test_patching_an_unknown_patron_is_patron_not_found(desk):
    r = await desk.client.patch("/api/patrons/P999", json={"name": "X"}, headers=desk.desk)

    assert desk.problem(r, 404) == "patron_not_found"


async def test_an_invalid_email_is_a_validation_error_on_that_field(desk):
    r = await desk.client.patch(
        "/api/patrons/P001", json={"email": "not an email"}, headers=desk.desk
    )

    assert desk.problem(r, 422) == "validation_error"
    assert [e["field"] for e in r.json()["errors"]] == ["email"]


# ---- branches ---------------------------------------------------------------------------


async def test_creating_a_branch_returns_it(desk):
    r = await desk.client.post(
        "/api/branches",
        json={"code": "WEST", "name": "West", "timezone": "America/Denver"},
        headers=desk.admin,
    )

    assert r.status_code == 201, r.text
    assert r.json() == {
        "code": "WEST",
        "name": "West",
        "timezone": "America/Denver",
        "closures": [],
    }


async def test_a_branch_without_a_timezone_gets_the_configured_one(desk):
    r = await desk.client.post(
        "/api/branches", json={"code": "WEST", "name": "West"}, headers=desk.admin
    )

    assert r.status_code == 201, r.text
    assert r.json()["timezone"] == "America/Chicago"


async def test_creating_a_branch_with_a_taken_code_is_refused(desk):
    r = await desk.client.post(
        "/api/branches", json={"code": "MAIN", "name": "Other"}, headers=desk.admin
    )

    assert desk.problem(r, 409) == "duplicate_branch"


async def test_a_branch_with_an_unknown_timezone_is_invalid(desk):
    r = await desk.client.post(
        "/api/branches",
        json={"code": "MARS", "name": "Mars", "timezone": "Mars/Olympus"},
        headers=desk.admin,
    )

    assert desk.problem(r, 422) == "validation_error"
    assert [e["field"] for e in r.json()["errors"]] == ["timezone"]


async def test_branch_list_shows_branches_with_their_closed_dates(desk):
    await desk.close_branch("2026-12-25", reason="Christmas")
    await desk.close_branch("2026-12-24", reason="Christmas Eve")

    r = await desk.client.get("/api/branches", headers=desk.desk)

    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 2
    branches = {b["code"]: b for b in body["items"]}
    assert branches["MAIN"]["closures"] == [
        {"date": "2026-12-24", "reason": "Christmas Eve"},
        {"date": "2026-12-25", "reason": "Christmas"},
    ]
    assert branches["EAST"]["closures"] == []
    assert branches["EAST"]["timezone"] == "America/New_York"


async def test_adding_a_closure_returns_it(desk):
    r = await desk.client.post(
        "/api/branches/MAIN/closures",
        json={"date": "2026-12-25", "reason": "Christmas"},
        headers=desk.admin,
    )

    assert r.status_code == 201, r.text
    assert r.json() == {"branch": "MAIN", "date": "2026-12-25", "reason": "Christmas"}


async def test_adding_a_closure_to_an_unknown_branch_is_not_found(desk):
    r = await desk.client.post(
        "/api/branches/NOPE/closures", json={"date": "2026-12-25"}, headers=desk.admin
    )

    assert desk.problem(r, 404) == "branch_not_found"


async def test_the_same_closed_date_cannot_be_added_twice(desk):
    await desk.close_branch("2026-12-25")

    r = await desk.client.post(
        "/api/branches/MAIN/closures", json={"date": "2026-12-25"}, headers=desk.admin
    )

    assert desk.problem(r, 409) == "duplicate_closure"


# ---- policies ---------------------------------------------------------------------------

POLICY_FIELDS = {
    "kind",
    "loan_days",
    "renewal_days",
    "max_renewals",
    "auto_renew",
    "max_active_loans_per_patron",
    "max_active_loans_per_household",
    "hold_pickup_days",
    "reminder_days_before_due",
    "overdue_notice_days",
    "suspend_line_after_days",
    "lost_after_days",
}


async def _policies(desk):
    r = await desk.client.get("/api/policies", headers=desk.desk)
    assert r.status_code == 200, r.text
    return {p["kind"]: p for p in r.json()["items"]}


async def test_policy_list_has_one_policy_per_kind(desk):
    policies = await _policies(desk)

    assert set(policies) >= {"hotspot", "laptop", "tablet"}
    for policy in policies.values():
        assert set(policy) >= POLICY_FIELDS
    assert policies["hotspot"]["loan_days"] == 21
    assert policies["laptop"]["loan_days"] == 14


async def test_putting_a_policy_stores_and_returns_it(desk):
    values = {
        "loan_days": 10,
        "renewal_days": 5,
        "max_renewals": 3,
        "auto_renew": False,
        "max_active_loans_per_patron": 2,
        "max_active_loans_per_household": 4,
        "hold_pickup_days": 2,
        "reminder_days_before_due": 1,
        "overdue_notice_days": [2, 9],
        "suspend_line_after_days": 0,
        "lost_after_days": 45,
    }

    r = await desk.client.put("/api/policies/tablet", json=values, headers=desk.admin)

    assert r.status_code == 200, r.text
    # The overdue settings (issue 12) were left out: they keep their defaults.
    overdue = {
        "overdue_blocks_checkout": "patron",
        "overdue_blocks_checkout_after_days": 0,
        "staff_may_renew_overdue": True,
        "resident_may_renew_overdue": False,
    }
    assert r.json() == {"kind": "tablet", **values, **overdue}
    assert (await _policies(desk))["tablet"] == {"kind": "tablet", **values, **overdue}


async def test_putting_part_of_a_policy_keeps_the_other_values(desk):
    before = (await _policies(desk))["laptop"]

    stored = await desk.set_policy("laptop", loan_days=7)

    assert stored == {**before, "loan_days": 7}
    assert (await _policies(desk))["laptop"] == stored


async def test_a_policy_read_with_get_can_be_put_back_unchanged(desk):
    before = (await _policies(desk))["hotspot"]

    r = await desk.client.put("/api/policies/hotspot", json=before, headers=desk.admin)

    assert r.status_code == 200, r.text
    assert r.json() == before
    edited = {**before, "loan_days": before["loan_days"] + 7}
    r = await desk.client.put("/api/policies/hotspot", json=edited, headers=desk.admin)
    assert r.status_code == 200, r.text
    assert (await _policies(desk))["hotspot"] == edited


async def test_a_policy_body_naming_another_kind_is_refused_and_nothing_changes(desk, problem_code):
    before = await _policies(desk)
    body = {**before["laptop"], "loan_days": 99}

    r = await desk.client.put("/api/policies/hotspot", json=body, headers=desk.admin)

    assert problem_code(r, 422) == "validation_error"
    [error] = r.json()["errors"]
    assert error["field"] == "kind" and "hotspot" in error["message"]
    assert await _policies(desk) == before


async def test_a_policy_may_allow_no_renewals(desk):
    stored = await desk.set_policy("hotspot", max_renewals=0, reminder_days_before_due=0)

    assert stored["max_renewals"] == 0
    assert stored["reminder_days_before_due"] == 0


@pytest.mark.parametrize(
    "field",
    [
        "loan_days",
        "renewal_days",
        "max_active_loans_per_patron",
        "max_active_loans_per_household",
        "hold_pickup_days",
        "lost_after_days",
    ],
)
@pytest.mark.parametrize("value", [0, -1])
async def test_a_policy_count_below_one_is_invalid(desk, field, value):
    r = await desk.client.put("/api/policies/hotspot", json={field: value}, headers=desk.admin)

    assert desk.problem(r, 422) == "validation_error"
    assert field in [e["field"] for e in r.json()["errors"]]
    assert (await _policies(desk))["hotspot"]["loan_days"] == 21


@pytest.mark.parametrize(
    "field", ["max_renewals", "reminder_days_before_due", "suspend_line_after_days"]
)
async def test_a_negative_policy_value_is_invalid_even_where_zero_is_allowed(desk, field):
    r = await desk.client.put("/api/policies/hotspot", json={field: -1}, headers=desk.admin)

    assert desk.problem(r, 422) == "validation_error"
    assert [e["field"] for e in r.json()["errors"]] == [field]


async def test_a_household_limit_below_the_patron_limit_is_invalid(desk):
    r = await desk.client.put(
        "/api/policies/hotspot",
        json={"max_active_loans_per_patron": 3, "max_active_loans_per_household": 2},
        headers=desk.admin,
    )

    assert desk.problem(r, 422) == "validation_error"
    assert [e["field"] for e in r.json()["errors"]] == ["max_active_loans_per_household"]


async def test_a_policy_for_an_unknown_kind_is_invalid(desk):
    r = await desk.client.put("/api/policies/bicycle", json={"loan_days": 7}, headers=desk.admin)

    assert desk.problem(r, 422) == "validation_error"


async def test_only_admins_may_change_policies(desk):
    r = await desk.client.put("/api/policies/hotspot", json={"loan_days": 7}, headers=desk.desk)

    assert desk.problem(r, 403) == "forbidden"
    assert (await _policies(desk))["hotspot"]["loan_days"] == 21
