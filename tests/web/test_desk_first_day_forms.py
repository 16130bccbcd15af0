"""Issue 12's pages in-process (no browser), on both databases: the desk's new-patron form
refuses bad input field by field and writes nothing, desk staff reach the desk's patron pages,
the hold slip is only for a device on the hold shelf, and the policies page saves the overdue
settings."""

from __future__ import annotations

from test_admin_people_forms import Pages, field_error


async def _pages(client, username: str) -> Pages:
    pages = Pages(client)
    assert await pages.log_in(username) == 303
    return pages


async def test_desk_staff_register_a_patron_at_the_desk_and_bad_fields_are_refused(
    client, api, library
):
    desk = await _pages(client, "desk")
    assert (await desk.get("/desk/patrons?q=Ana")).status_code == 200
    assert (await desk.get("/admin/staff")).status_code == 403  # supervisor pages stay admin's
    bad = {
        "card_number": "",
        "name": "",
        "language": "fr",
        "household_choice": "new",
        "new_household": "H1",  # exists already
        "branch": "NOPE",
        "expires_on": "soon",
        "pin": "1234",  # not a field of this form: never stored
    }
    r = await desk.post("/desk/patrons/new", bad)
    assert r.status_code == 422
    assert field_error(r.text, "f-card_number") == "Scan or type the card number."
    assert field_error(r.text, "f-name") == "Enter the patron's name."
    assert field_error(r.text, "f-new_household").startswith("That household already exists")
    assert field_error(r.text, "f-expires_on").startswith("Enter a date")
    listed = await api.client.get("/api/patrons", headers=api.headers["admin"])
    assert listed.json()["total"] == 3  # nothing written

    good = {
        **bad,
        "card_number": "P900",
        "name": "Nia",
        "language": "es",
        "expires_on": "2030-01-01",
    }
    good.update(household_choice="existing", household="H1", branch="NOPE")
    r = await desk.post("/desk/patrons/new", good)
    assert r.status_code == 422 and "NOPE" in r.text  # an unknown branch, from the service
    r = await desk.post("/desk/patrons/new", {**good, "branch": "MAIN"})
    assert r.status_code == 303 and r.headers["location"] == "/desk?patron=P900"
    patron = (await api.client.get("/api/patrons/P900", headers=api.headers["admin"])).json()
    assert patron["household"] == "H1" and patron["language"] == "es"
    login = await api.client.post("/api/auth/token", json={"card_number": "P900", "pin": "1234"})
    assert login.status_code == 401  # no PIN was set by the desk


async def test_the_hold_slip_is_only_for_a_device_on_the_hold_shelf(client, api, library):
    desk = await _pages(client, "desk")
    assert (await desk.get("/desk/hold-slip/1")).status_code == 404
    assert (await desk.get("/desk/hold-slip/99999999999")).status_code == 404
    headers = api.headers["desk"]
    await api.client.post(
        "/api/checkout", json={"patron": "P003", "device": "DEV004"}, headers=headers
    )
    await api.client.post(
        "/api/checkout", json={"patron": "P001", "device": "DEV005"}, headers=headers
    )
    hold = await api.client.post(
        "/api/holds", json={"patron": "P002", "kind": "laptop", "branch": "MAIN"}, headers=headers
    )
    assert (await desk.get(f"/desk/hold-slip/{hold.json()['id']}")).status_code == 404  # waiting
    await api.client.post("/api/checkin", json={"device": "DEV004"}, headers=headers)
    r = await desk.get(f"/desk/hold-slip/{hold.json()['id']}")
    assert r.status_code == 200
    assert '<p class="slip-name" id="slip-name">B.</p>' in r.text  # Ben, by initials
    assert "Friday, December 4, 11:59 PM" in r.text  # 3 pickup days, Chicago time


async def test_the_policies_page_saves_the_overdue_settings(client, api, library):
    admin = await _pages(client, "admin")
    page = await admin.get("/admin/policies")
    assert 'id="p-hotspot-overdue_blocks_checkout"' in page.text
    form = {
        "loan_days": "21", "renewal_days": "21", "max_renewals": "2",
        "max_active_loans_per_patron": "1", "max_active_loans_per_household": "1",
        "hold_pickup_days": "3", "reminder_days_before_due": "2", "overdue_notice_days": "1, 7",
        "suspend_line_after_days": "3", "lost_after_days": "30",
        "overdue_blocks_checkout": "everyone", "overdue_blocks_checkout_after_days": "-2",
        "resident_may_renew_overdue": "yes",
    }  # fmt: skip
    r = await admin.post("/admin/policies/hotspot", form)
    assert r.status_code == 422
    assert field_error(r.text, "p-hotspot-overdue_blocks_checkout").startswith("Choose whose")
    assert "0 to 3650" in field_error(r.text, "p-hotspot-overdue_blocks_checkout_after_days")
    form.update(overdue_blocks_checkout="household", overdue_blocks_checkout_after_days="4")
    assert (await admin.post("/admin/policies/hotspot", form)).status_code == 303
    policies = (await api.client.get("/api/policies", headers=api.headers["admin"])).json()
    hotspot = next(p for p in policies["items"] if p["kind"] == "hotspot")
    assert hotspot["overdue_blocks_checkout"] == "household"
    assert hotspot["overdue_blocks_checkout_after_days"] == 4
    assert hotspot["resident_may_renew_overdue"] is True
    assert hotspot["staff_may_renew_overdue"] is False  # its box was left unticked
