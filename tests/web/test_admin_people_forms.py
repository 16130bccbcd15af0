"""Admin console forms for patrons, loan policies, branches, staff and the work lists, in-process
(no browser): bad input shows an error next to its field and never a 5xx; good input is saved
through the services, as the API then shows."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest

from lending.jobs import run_job
from lending.settings import Settings

LONG = "x" * 10_000
CHICAGO = Settings(timezone="America/Chicago")


class Pages:
    """The `client` logged in to the pages; posts carry the CSRF token like the forms do."""

    def __init__(self, client: Any) -> None:
        self.client = client

    async def log_in(self, username: str = "admin", password: str = "correct-horse") -> int:
        await self.client.get("/login")
        r = await self.post("/login", {"username": username, "password": password})
        return r.status_code

    async def post(self, url: str, data: dict[str, str]) -> Any:
        token = self.client.cookies.get("lending_csrf")
        return await self.client.post(url, data={**data, "_csrf_token": token})

    async def get(self, url: str) -> Any:
        return await self.client.get(url)


def field_error(html: str, field: str) -> str:
    """The error text shown next to the field with this id (f-<name> or p-<kind>-<name>)."""
    match = re.search(rf'<p class="error" id="{re.escape(field)}-error">([^<]*)</p>', html)
    return unescape(match.group(1)) if match else ""


def value_of(html: str, field: str) -> str | None:
    match = re.search(rf'id="{re.escape(field)}"[^>]*?value="([^"]*)"', html, re.S)
    return unescape(match.group(1)) if match else None


@pytest.fixture
async def pages(client, api, library) -> Pages:
    pages = Pages(client)
    assert await pages.log_in() == 303
    return pages


async def test_policy_form_shows_field_errors_for_words_negative_and_inconsistent_values(
    pages, api
):
    r = await pages.post(
        "/admin/policies/laptop",
        {
            "loan_days": "abc",
            "renewal_days": "-1",
            "max_renewals": "1",
            "max_active_loans_per_patron": "1",
            "max_active_loans_per_household": "1",
            "hold_pickup_days": LONG,
            "reminder_days_before_due": "2",
            "overdue_notice_days": "1, seven",
            "suspend_line_after_days": "",
            "lost_after_days": "30",
        },
    )
    assert r.status_code == 422
    assert "Enter a whole number" in field_error(r.text, "p-laptop-loan_days")
    assert "Enter a whole number" in field_error(r.text, "p-laptop-renewal_days")
    assert "Enter a whole number" in field_error(r.text, "p-laptop-hold_pickup_days")
    assert field_error(r.text, "p-laptop-suspend_line_after_days") == "Enter a number."
    assert "separated by commas" in field_error(r.text, "p-laptop-overdue_notice_days")
    assert value_of(r.text, "p-laptop-loan_days") == "abc"  # what was typed is kept
    assert field_error(r.text, "p-hotspot-loan_days") == ""  # the other kinds' forms are clean

    # Values the API's types accept but the policy refuses: the service's errors, at the field.
    good = {
        "loan_days": "0",
        "renewal_days": "14",
        "max_renewals": "1",
        "max_active_loans_per_patron": "2",
        "max_active_loans_per_household": "1",
        "hold_pickup_days": "3",
        "reminder_days_before_due": "2",
        "overdue_notice_days": "1, 7, 7",
        "suspend_line_after_days": "3",
        "lost_after_days": "30",
    }
    r = await pages.post("/admin/policies/laptop", good)
    assert r.status_code == 422
    assert field_error(r.text, "p-laptop-loan_days") == "Must be at least 1."
    assert "loans per patron" in field_error(r.text, "p-laptop-max_active_loans_per_household")
    assert "repeat" in field_error(r.text, "p-laptop-overdue_notice_days")

    policy = (await api.client.get("/api/policies", headers=api.headers["admin"])).json()
    laptop = next(p for p in policy["items"] if p["kind"] == "laptop")
    assert laptop["loan_days"] == 14  # nothing was saved

    good.update(
        loan_days="10",
        max_active_loans_per_household="3",
        overdue_notice_days="2; 9",
        auto_renew="yes",
    )
    r = await pages.post("/admin/policies/laptop", good)
    assert r.status_code == 303
    policy = (await api.client.get("/api/policies", headers=api.headers["admin"])).json()
    laptop = next(p for p in policy["items"] if p["kind"] == "laptop")
    assert laptop["loan_days"] == 10 and laptop["max_active_loans_per_household"] == 3
    assert laptop["overdue_notice_days"] == [2, 9] and laptop["auto_renew"] is True
    assert (await pages.post("/admin/policies/nope", good)).status_code == 404


async def test_patron_add_and_edit_forms_show_every_bad_field_and_keep_the_values(pages, api):
    r = await pages.post(
        "/admin/patrons/new",
        {"card_number": "  ", "name": "", "language": "fr", "expires_on": "tomorrow"},
    )
    assert r.status_code == 422
    assert field_error(r.text, "f-card_number") == "Enter the card number."
    assert field_error(r.text, "f-name") == "Enter the patron's name."
    assert field_error(r.text, "f-language") == "Choose English or Spanish."
    assert "YYYY-MM-DD" in field_error(r.text, "f-expires_on")

    r = await pages.post(
        "/admin/patrons/new",
        {
            "card_number": "PF-1",
            "name": LONG,
            "email": "not an email",
            "phone": LONG,
            "household": LONG,
            "language": "es",
            "pin": "12ab",
            "blocked": "yes",
            "block_reason": "",
        },
    )
    assert r.status_code == 422
    assert "at most 200 characters" in field_error(r.text, "f-name")
    assert "at most 32 characters" in field_error(r.text, "f-phone")
    assert "at most 64 characters" in field_error(r.text, "f-household")
    assert field_error(r.text, "f-pin") == "A PIN is 4 to 12 digits."
    assert field_error(r.text, "f-block_reason") == "Say why the patron is blocked."
    assert value_of(r.text, "f-card_number") == "PF-1"

    # The service's own checks land at their fields too.
    r = await pages.post(
        "/admin/patrons/new",
        {"card_number": "PF-1", "name": "Flo", "email": "flo@", "language": "en", "branch": "X"},
    )
    assert r.status_code == 422
    assert field_error(r.text, "f-email") == "Not an email address."
    r = await pages.post(
        "/admin/patrons/new", {"card_number": "P001", "name": "Dup", "language": "en"}
    )
    assert r.status_code == 422 and "already exists" in field_error(r.text, "f-card_number")

    r = await pages.post(
        "/admin/patrons/new",
        {
            "card_number": "PF-1",
            "name": "Flo Diaz",
            "email": "flo@example.org",
            "phone": "555-0101",
            "language": "es",
            "household": "HF",
            "branch": "MAIN",
            "expires_on": "2031-05-01",
            "pin": "4321",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/admin/patrons/PF-1"
    got = (await api.client.get("/api/patrons/PF-1", headers=api.headers["admin"])).json()
    assert (got["name"], got["language"], got["branch"], got["expires_on"]) == (
        "Flo Diaz",
        "es",
        "MAIN",
        "2031-05-01",
    )
    assert (
        await api.client.post("/api/auth/token", json={"card_number": "PF-1", "pin": "4321"})
    ).status_code == 200

    # Editing: the same checks, and an emptied optional field is cleared.
    page = await pages.get("/admin/patrons/P001/edit")
    assert page.status_code == 200 and value_of(page.text, "f-name") == "Ana"
    base = {"name": "Ana", "language": "en", "household": "H1", "branch": "MAIN"}
    r = await pages.post("/admin/patrons/P001/edit", {**base, "branch": "NOPE", "email": LONG})
    assert r.status_code == 422
    assert "at most 254" in field_error(r.text, "f-email")
    r = await pages.post("/admin/patrons/P001/edit", {**base, "branch": "NOPE"})
    assert r.status_code == 422 and "no branch" in field_error(r.text, "f-branch").lower()

    r = await pages.post(
        "/admin/patrons/P001/edit", {**base, "name": "Ana Ruiz", "household": "", "phone": "555"}
    )
    assert r.status_code == 303
    got = (await api.client.get("/api/patrons/P001", headers=api.headers["admin"])).json()
    assert (got["name"], got["household"], got["phone"]) == ("Ana Ruiz", None, "555")
    assert (await pages.get("/admin/patrons/NOBODY/edit")).status_code == 404


async def test_block_needs_a_reason_and_the_pin_must_be_digits_typed_twice(pages, api):
    r = await pages.post("/admin/patrons/P002/block", {"block_reason": "  "})
    assert r.status_code == 422
    assert field_error(r.text, "f-block_reason") == "Say why the patron is blocked."
    r = await pages.post("/admin/patrons/P002/block", {"block_reason": LONG})
    assert r.status_code == 422 and "at most 500" in field_error(r.text, "f-block_reason")

    r = await pages.post("/admin/patrons/P002/block", {"block_reason": "Unpaid laptop"})
    assert r.status_code == 303
    got = (await api.client.get("/api/patrons/P002", headers=api.headers["admin"])).json()
    assert got["blocked"] is True and got["block_reason"] == "Unpaid laptop"
    page = await pages.get("/admin/patrons/P002")
    assert "Unpaid laptop" in page.text and "Unblock patron" in page.text

    for pin, again, field, message in [
        ("", "", "f-pin", "Enter the new PIN."),
        ("12ab", "12ab", "f-pin", "A PIN is 4 to 12 digits."),
        (LONG, LONG, "f-pin", "A PIN is 4 to 12 digits."),
        ("5678", "5679", "f-pin_again", "The two PINs are not the same."),
    ]:
        r = await pages.post("/admin/patrons/P002/pin", {"pin": pin, "pin_again": again})
        assert r.status_code == 422 and field_error(r.text, field) == message
    r = await pages.post("/admin/patrons/P002/pin", {"pin": "5678", "pin_again": "5678"})
    assert r.status_code == 303
    token = {"card_number": "P002", "pin": "5678"}
    assert (await api.client.post("/api/auth/token", json=token)).status_code == 200

    assert (await pages.post("/admin/patrons/P002/unblock", {})).status_code == 303
    got = (await api.client.get("/api/patrons/P002", headers=api.headers["admin"])).json()
    assert got["blocked"] is False and got["block_reason"] is None
    assert (
        await pages.post("/admin/patrons/NOBODY/block", {"block_reason": "x"})
    ).status_code == 404


async def test_patron_search_pages_and_odd_queries_never_fail(pages):
    r = await pages.get("/admin/patrons?q=" + "%25_" * 50 + LONG[:3000] + "&page=abc")
    assert r.status_code == 200
    r = await pages.get("/admin/patrons?q=ben")
    assert r.status_code == 200 and "P002" in r.text and "P001" not in r.text
    r = await pages.get("/admin/patrons?page=99999999999999999999")
    assert r.status_code == 200
    page = await pages.get("/admin/patrons/P001")
    assert page.status_code == 200 and "No devices on loan." in page.text


async def test_branch_and_closed_date_forms_show_field_errors(pages, api):
    r = await pages.post("/admin/branches", {"code": "", "name": LONG, "timezone": "Mars/Base"})
    assert r.status_code == 422
    assert field_error(r.text, "f-code") == "Enter a short code, like MAIN."
    assert "at most 200" in field_error(r.text, "f-name")
    r = await pages.post("/admin/branches", {"code": "a b", "name": "N", "timezone": "Mars/Base"})
    assert "letters, digits" in field_error(r.text, "f-code")
    r = await pages.post(
        "/admin/branches", {"code": "WEST", "name": "West", "timezone": "Mars/Base"}
    )
    assert r.status_code == 422 and "IANA" in field_error(r.text, "f-timezone")
    r = await pages.post("/admin/branches", {"code": "MAIN", "name": "Again", "timezone": "UTC"})
    assert r.status_code == 422 and "already exists" in field_error(r.text, "f-code")
    r = await pages.post(
        "/admin/branches", {"code": "WEST", "name": "West", "timezone": "America/Denver"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/admin/branches/WEST"

    for day, message in [("", "Enter the date"), ("31/12/2026", "YYYY-MM-DD"), (LONG, "YYYY")]:
        r = await pages.post("/admin/branches/WEST/closures", {"date": day, "reason": ""})
        assert r.status_code == 422 and message in field_error(r.text, "f-date")
    r = await pages.post("/admin/branches/WEST/closures", {"date": "2026-12-24", "reason": LONG})
    assert r.status_code == 422 and "at most 200" in field_error(r.text, "f-reason")
    r = await pages.post("/admin/branches/WEST/closures", {"date": "2026-12-24", "reason": "Eve"})
    assert r.status_code == 303
    r = await pages.post("/admin/branches/WEST/closures", {"date": "2026-12-24", "reason": "Eve"})
    assert r.status_code == 422 and "already closed" in field_error(r.text, "f-date")
    branches = (await api.client.get("/api/branches", headers=api.headers["admin"])).json()
    west = next(b for b in branches["items"] if b["code"] == "WEST")
    assert west["closures"] == [{"date": "2026-12-24", "reason": "Eve"}]

    assert (
        await pages.post("/admin/branches/WEST/closures/2026-12-24/remove", {})
    ).status_code == 303
    r = await pages.post("/admin/branches/WEST/closures/2026-12-24/remove", {})
    assert r.status_code == 404
    assert (await pages.post("/admin/branches/WEST/closures/soon/remove", {})).status_code == 404
    assert (await pages.get("/admin/branches/" + "Q" * 500)).status_code == 404


async def test_staff_forms_add_deactivate_reactivate_and_reset_a_password(pages, api):
    r = await pages.post("/admin/staff", {"username": LONG, "role": "boss", "password": "short"})
    assert r.status_code == 422
    assert "at most 64" in field_error(r.text, "f-username")
    assert field_error(r.text, "f-role") == "Choose desk or admin."
    assert "at least 8" in field_error(r.text, "f-password")
    r = await pages.post(
        "/admin/staff", {"username": "bad name!", "role": "desk", "password": "p" * 9}
    )
    assert r.status_code == 422 and "letters, digits" in field_error(r.text, "f-username")
    r = await pages.post("/admin/staff", {"username": "desk", "role": "desk", "password": "p" * 9})
    assert r.status_code == 422 and "already exists" in field_error(r.text, "f-username")

    r = await pages.post(
        "/admin/staff", {"username": "night.desk", "role": "desk", "password": "night-pass-1"}
    )
    assert r.status_code == 303
    assert await api.login(username="night.desk", password="night-pass-1")

    assert (await pages.post("/admin/staff/night.desk/deactivate", {})).status_code == 303
    refused = await api.client.post(
        "/api/auth/token", json={"username": "night.desk", "password": "night-pass-1"}
    )
    assert refused.status_code == 401
    assert (await pages.post("/admin/staff/night.desk/reactivate", {})).status_code == 303

    for password, message in [
        ("", "Enter a password."),
        ("1234567", "at least 8"),
        ("p" * 1025, "at most 1024"),
    ]:
        r = await pages.post(
            "/admin/staff/password", {"account": "night.desk", "new_password": password}
        )
        assert r.status_code == 422 and message in field_error(r.text, "f-new_password")
    r = await pages.post("/admin/staff/password", {"account": "", "new_password": "p" * 9})
    assert r.status_code == 422 and field_error(r.text, "f-account") == "Choose the account."
    r = await pages.post("/admin/staff/password", {"account": "ghost", "new_password": "p" * 9})
    assert r.status_code == 422 and "No staff account" in field_error(r.text, "f-account")
    r = await pages.post(
        "/admin/staff/password", {"account": "night.desk", "new_password": "new-night-pass"}
    )
    assert r.status_code == 303
    assert await api.login(username="night.desk", password="new-night-pass")

    # An admin cannot lock themselves out.
    r = await pages.post("/admin/staff/admin/deactivate", {})
    assert r.status_code == 409 and "your own account" in r.text
    assert (await pages.post("/admin/staff/ghost/deactivate", {})).status_code == 404


async def test_desk_staff_read_patrons_policies_and_branches_but_not_staff_or_tasks(
    client, api, library
):
    readable = ["/admin/patrons", "/admin/patrons/P001", "/admin/policies", "/admin/branches",
                "/admin/branches/MAIN"]  # fmt: skip
    refused = ["/admin/staff", "/admin/tasks"]
    for url in readable + refused:
        r = await client.get(url)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    desk = Pages(client)
    assert await desk.log_in("desk") == 303
    for url in readable:  # as the permission table says (and the API already did)
        r = await client.get(url)
        assert r.status_code == 200, url
        assert "Save tablet policy" not in r.text and "Add branch" not in r.text
    for url in refused:
        assert (await client.get(url)).status_code == 403, url
    r = await desk.post("/admin/policies/tablet", {"loan_days": "1"})
    assert r.status_code == 403
    r = await desk.post("/admin/branches/MAIN/closures", {"date": "2026-12-24"})
    assert r.status_code == 403


async def test_carrier_task_done_and_a_patron_called_from_the_tasks_page(
    client, api, library, clock
):
    from lending.services.actors import Actor
    from lending.services.lines.service_lines import create_line, create_plan

    admin = Actor("admin", "admin")
    plan = await create_plan(
        admin, clock.now, {"carrier": "T-Mobile", "name": "U", "monthly_cost": 9.0}
    )
    line = await create_line(
        admin,
        clock.now,
        {
            "iccid": "8901410000000000013",
            "phone_number": "+1 555 0100",
            "carrier": "T-Mobile",
            "plan": plan.id,
            "device": "DEV001",
        },
        "America/Chicago",
    )
    for card, device in [("P001", "DEV001"), ("P003", "DEV003")]:  # Cy (P003): no email or phone
        r = await client.post(
            "/api/checkout", json={"patron": card, "device": device}, headers=api.headers["desk"]
        )
        assert r.status_code == 201, r.text
    clock.advance(days=19)  # two days before the due date: the reminder goes on the call list
    await run_job("due_soon", clock.now, CHICAGO)
    await run_job("deliver_notices", clock.now, CHICAGO)
    clock.advance(days=7)  # overdue long enough to suspend the hotspot's line: a staff task
    await run_job("suspend_lines", clock.now, CHICAGO)
    await run_job("carrier_actions", clock.now, CHICAGO)

    pages = Pages(client)
    assert await pages.log_in() == 303
    page = await pages.get("/admin/tasks")
    assert page.status_code == 200
    assert "Suspend line +1 555 0100" in page.text and "Cy" in page.text
    task_id = re.search(r"/admin/tasks/carrier/(\d+)/done", page.text).group(1)
    notice_id = re.search(r"/admin/tasks/calls/(\d+)/called", page.text).group(1)

    r = await pages.post(f"/admin/tasks/carrier/{task_id}/done", {})
    assert r.status_code == 303
    page = await pages.get("/admin/tasks")
    assert "The line is now suspended." in page.text  # the one-time message
    r = await pages.post(f"/admin/tasks/calls/{notice_id}/called", {})
    assert r.status_code == 303
    page = await pages.get("/admin/tasks")
    assert "No carrier tasks." in page.text
    assert f"/admin/tasks/calls/{notice_id}/called" not in page.text
    admin_now = await api.login(username="admin", password="correct-horse")  # clock moved
    lines = (await client.get("/api/lines", headers=admin_now)).json()
    assert [x["status"] for x in lines["items"] if x["iccid"] == line.iccid] == ["suspended"]

    # Ana's hotspot is now overdue: her page marks it, with the due date in Chicago time.
    page = await pages.get("/admin/patrons/P001")
    assert "Overdue" in page.text and "Tue 22 Dec 2026, 23:59 CST" in page.text

    # Done twice, or an id that is not a number: a plain refusal on the page, never a 5xx.
    r = await pages.post(f"/admin/tasks/carrier/{task_id}/done", {})
    assert r.status_code == 409 and "not an open task" in r.text
    assert (await pages.post("/admin/tasks/carrier/abc/done", {})).status_code == 400
    assert (await pages.post("/admin/tasks/calls/99999999999/called", {})).status_code == 400
    assert (await pages.post("/admin/tasks/calls/12345/called", {})).status_code == 404
