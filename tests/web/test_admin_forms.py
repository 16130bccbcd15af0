"""The admin console in-process (no browser): the dashboard's figures, the device forms' field
errors for empty, over-long and wrong-typed values (never a 5xx), and the role checks."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest

pytestmark = pytest.mark.asyncio

LONG = "x" * 10_000


def csrf_of(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


async def page_login(client: Any, username: str, password: str = "correct-horse") -> None:
    r = await client.get("/login")
    r = await client.post(
        "/login",
        data={"username": username, "password": password, "_csrf_token": csrf_of(r.text)},
    )
    assert r.status_code == 303, r.text


async def post_form(client: Any, form_url: str, action: str, data: dict[str, str]) -> Any:
    """Open the form page (for its CSRF token), then post `data` to `action`."""
    r = await client.get(form_url)
    assert r.status_code == 200, r.text
    return await client.post(action, data={**data, "_csrf_token": csrf_of(r.text)})


def field_error(html: str, name: str) -> str | None:
    match = re.search(rf'<p class="error" id="f-{name}-error">([^<]*)</p>', html)
    return unescape(match.group(1)) if match else None


@pytest.fixture
async def admin_client(client, api, library):
    await page_login(client, "admin")
    return client


async def test_dashboard_counts_devices_loans_due_and_waitlists(admin_client, api, clock):
    admin = api.headers["admin"]
    client = admin_client
    # Two loans: one due later (not today), one we make overdue by moving the clock.
    for barcode, card in (("DEV001", "P001"), ("DEV004", "P003")):
        r = await client.post(
            "/api/checkout", json={"device": barcode, "patron": card}, headers=admin
        )
        assert r.status_code in (200, 201), r.text
    r = await client.post(
        "/api/holds", json={"patron": "P002", "kind": "laptop", "branch": "MAIN"}, headers=admin
    )
    assert r.status_code in (200, 201), r.text
    r = await client.get("/admin")
    assert r.status_code == 200
    html = r.text
    assert re.search(r'figure-n">5</span> <span>devices', html)
    assert re.search(r'figure-n">0</span> <span>loans overdue', html)
    assert re.search(r'figure-n">1</span> <span>patrons waiting', html)
    clock.advance(days=60)
    await page_login(client, "admin")  # the first session has expired by then
    html = (await client.get("/admin")).text
    assert re.search(r'figure-n">2</span> <span>loans overdue', html)
    assert re.search(r"<th scope=\"row\">MAIN</th><td>2</td><td>0</td>", html)


async def test_dashboard_counts_a_loan_due_today_in_its_branch_zone(admin_client, api, clock):
    admin = api.headers["admin"]
    r = await admin_client.post(
        "/api/checkout", json={"device": "DEV002", "patron": "P001"}, headers=admin
    )
    due = r.json()["loan"]["due_at"]
    # The morning of the due date, in the branch's zone (Chicago).
    from datetime import datetime

    clock.now = datetime.fromisoformat(due).replace(hour=9)
    await page_login(admin_client, "admin")
    html = (await admin_client.get("/admin")).text
    assert re.search(r'figure-n">1</span> <span>loans due today', html)
    assert re.search(r'figure-n">0</span> <span>loans overdue', html)


GOOD_DEVICE = {
    "barcode": "FORM-001",
    "kind": "hotspot",
    "model": "Form Hotspot",
    "serial_number": "SN-FORM-1",
    "branch": "MAIN",
    "replacement_cost": "89.50",
    "notes": "",
}


async def test_adding_a_device_through_the_form_shows_it_with_its_audit_event(admin_client):
    r = await post_form(admin_client, "/admin/devices/new", "/admin/devices/new", GOOD_DEVICE)
    assert r.status_code == 303
    assert r.headers["location"] == "/admin/devices/FORM-001"
    page = (await admin_client.get("/admin/devices/FORM-001")).text
    assert "Device FORM-001 added." in page
    assert "Form Hotspot" in page and "89.50" in page
    assert "device created" in page  # the audit event, in the history


ADD_FORM_CASES = [
    ("model", "", "This field is required."),
    ("model", LONG, "Use at most 200 characters."),
    ("serial_number", LONG, "Use at most 100 characters."),
    ("replacement_cost", "twelve", "Enter a number."),
    ("replacement_cost", "-5", "Enter a number of at least 0."),
    ("kind", "toaster", "Choose one of the listed values."),
    ("imei", "12345", "An IMEI is 15 digits with a valid check digit"),
    ("branch", "NOWHERE", "No branch with code 'NOWHERE'"),
    ("barcode", "   ", "This field is required."),
    ("barcode", LONG, "Use at most 80 characters."),
    ("notes", LONG, "Use at most 4000 characters."),
]


async def test_the_add_form_shows_each_bad_value_as_a_field_error_and_keeps_the_rest(
    admin_client,
):
    for field, value, message in ADD_FORM_CASES:
        data = {**GOOD_DEVICE, field: value}
        r = await post_form(admin_client, "/admin/devices/new", "/admin/devices/new", data)
        assert r.status_code == 422, (field, value[:20])
        assert field_error(r.text, field) == message, (field, value[:20])
        if field != "model":
            assert 'value="Form Hotspot"' in r.text
    assert (await admin_client.get("/admin/devices/FORM-001")).status_code == 404
    # An empty post: every required field says so at once.
    r = await post_form(admin_client, "/admin/devices/new", "/admin/devices/new", {})
    assert r.status_code == 422
    for name in ("barcode", "model", "serial_number", "kind"):
        assert field_error(r.text, name), name
    # A barcode that is taken is reported on the barcode field.
    data = {**GOOD_DEVICE, "barcode": "DEV001"}
    r = await post_form(admin_client, "/admin/devices/new", "/admin/devices/new", data)
    assert r.status_code == 422
    assert "already exists" in field_error(r.text, "barcode")


async def test_editing_a_device_saves_only_what_changed(admin_client):
    r = await post_form(
        admin_client,
        "/admin/devices/DEV001/edit",
        "/admin/devices/DEV001/edit",
        {
            "kind": "hotspot",
            "model": "Renamed Hotspot",
            "serial_number": "SN1",
            "branch": "EAST",
            "imei": "",
            "replacement_cost": "100.00",
            "notes": "",
            "location": "",
        },
    )
    assert r.status_code == 303
    page = (await admin_client.get("/admin/devices/DEV001")).text
    assert "Renamed Hotspot" in page and "EAST" in page
    # needs_label was unticked in the post: it is one of the changes.
    assert "model: Renamed Hotspot" in page
    assert "replacement cost" not in page.split("Events")[1].split("device created")[0]


async def test_the_edit_form_shows_field_errors_and_changes_nothing(admin_client):
    cases = [
        ("model", "", "This field is required."),
        ("replacement_cost", "", "Enter a number."),
        ("replacement_cost", "1e99", "Enter a number no more than 1000000."),
        ("kind", LONG, "Choose one of the listed values."),
    ]
    url = "/admin/devices/DEV001/edit"
    for field, value, message in cases:
        data = {"kind": "hotspot", "model": "Model hotspot", "serial_number": "SN1",
                "branch": "MAIN", "replacement_cost": "100", field: value}  # fmt: skip
        r = await post_form(admin_client, url, url, data)
        assert r.status_code == 422
        assert field_error(r.text, field) == message
    page = (await admin_client.get("/admin/devices/DEV001")).text
    assert "device updated" not in page


async def test_status_buttons_change_a_device_unless_it_is_on_loan(admin_client, api):
    r = await post_form(
        admin_client,
        "/admin/devices/DEV002",
        "/admin/devices/DEV002/status",
        {"status": "in_repair"},
    )
    assert r.status_code == 303
    page = (await admin_client.get("/admin/devices/DEV002")).text
    assert "Device DEV002 is in repair." in page
    assert '<span class="badge warn">in repair</span>' in page
    r = await post_form(
        admin_client,
        "/admin/devices/DEV002",
        "/admin/devices/DEV002/status",
        {"status": "available"},
    )
    assert r.status_code == 303
    # A device on loan cannot be retired, and the page says why.
    r = await admin_client.post(
        "/api/checkout", json={"device": "DEV003", "patron": "P003"}, headers=api.headers["admin"]
    )
    assert r.status_code == 201
    r = await post_form(
        admin_client, "/admin/devices/DEV003", "/admin/devices/DEV003/status", {"status": "retired"}
    )
    assert r.status_code == 409
    assert "is on loan; check it in before setting it retired" in r.text
    r = await post_form(
        admin_client, "/admin/devices/DEV003", "/admin/devices/DEV003/status", {"status": LONG}
    )
    assert r.status_code == 422


async def test_the_device_list_filters_and_searches(admin_client):
    r = await admin_client.get("/admin/devices?kind=laptop")
    assert "DEV004" in r.text and "DEV001" not in r.text
    r = await admin_client.get("/admin/devices?q=sn5")
    assert "DEV005" in r.text and "DEV004" not in r.text
    r = await admin_client.get("/admin/devices?needs_label=no")
    assert "0 devices match" in r.text
    r = await admin_client.get(f"/admin/devices?kind={LONG}&page=abc&status=x&q={LONG[:3000]}")
    assert r.status_code == 200  # filters that cannot match are dropped, not an error
    r = await admin_client.get("/admin/devices?q=%00")
    assert r.status_code == 422 and "NUL" in r.text
    assert (await admin_client.get("/admin/devices/NOPE")).status_code == 404


async def test_labels_for_ticked_devices_come_back_as_a_pdf_and_clear_needs_label(admin_client):
    r = await post_form(
        admin_client,
        "/admin/labels",
        "/admin/labels",
        {
            "which": "ticked",
            "template": "avery-5160",
            "start_at": "30",
            "symbology": "code128",
            "barcodes": ["DEV001", "DEV002"],
        },  # fmt: skip
    )
    assert r.status_code == 200, r.text[:2000]
    assert r.headers["content-type"].startswith("application/pdf")
    assert r.headers["content-disposition"].startswith("attachment;")
    assert r.content.startswith(b"%PDF")
    # Position 30 is the last on the sheet: the second label needs a second page.
    assert len(re.findall(rb"/Type\s*/Page\b", r.content)) == 2
    listed = (await admin_client.get("/admin/labels")).text  # the "needs a label" list
    assert "DEV003" in listed and "DEV001" not in listed


async def test_a_barcode_typo_on_the_add_form_is_caught_by_its_check_digit(admin_client):
    data = {**GOOD_DEVICE, "barcode": "31234000012345"}
    r = await post_form(admin_client, "/admin/devices/new", "/admin/devices/new", data)
    assert r.status_code == 422
    shown = field_error(r.text, "barcode")
    assert shown and "check digit" in shown and "it is 2, not 5" in shown
    assert (await admin_client.get("/admin/devices/31234000012345")).status_code == 404


async def test_a_label_batch_with_an_unprintable_device_lists_it_and_prints_the_rest(
    admin_client, api
):
    r = await api.client.post(
        "/api/devices",
        json={"barcode": "dev-lower", "kind": "laptop", "model": "M", "serial_number": "S",
              "branch": "MAIN"},
        headers=api.headers["admin"],
    )  # fmt: skip
    assert r.status_code == 201, r.text
    form = {"which": "filters", "template": "avery-5160", "start_at": "1", "symbology": "code39"}

    r = await post_form(admin_client, "/admin/labels", "/admin/labels", form)

    assert r.status_code == 422
    listed = unescape(r.text)
    assert "1 device cannot be labelled" in listed and "5 labels can be printed" in listed
    assert "dev-lower: Code 39 takes A-Z" in listed
    assert 'name="partial" value="1"' in r.text
    r = await post_form(admin_client, "/admin/labels", "/admin/labels", {**form, "partial": "1"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/pdf")
    r = await api.client.get("/api/devices", params={"limit": 50}, headers=api.headers["admin"])
    waiting = {d["barcode"] for d in r.json()["items"] if d["needs_label"]}
    assert waiting == {"dev-lower"}


async def test_the_labels_form_explains_what_is_wrong_without_a_5xx(admin_client):
    base = {"which": "ticked", "template": "avery-5160", "start_at": "1", "barcodes": "DEV001"}
    cases = [
        ({"start_at": "abc"}, "start_at", "Enter a whole number"),
        ({"start_at": "31"}, "start_at", "has positions 1 to 30; 31 is off the sheet"),
        ({"start_at": ""}, "start_at", "This field is required."),
        ({"template": LONG}, "template", "No label template"),
        ({"symbology": "qr"}, "symbology", "Must be one of"),
        ({"barcodes": ""}, None, "Tick at least one device"),
        ({"which": "ticked", "barcodes": None}, None, "Tick at least one device"),
        ({"which": "filters", "start_at": "31"}, "start_at", "31 is off the sheet"),
        ({"barcodes": "NOPE-1"}, None, "No device with barcode 'NOPE-1'"),
        ({"which": "filters", "added_since": "yesterday"}, "added_since", "Enter a date"),
        ({"which": "filters", "kind": "toaster"}, "kind", "Choose one of the listed kinds."),
    ]
    for change, field, message in cases:
        data = {k: v for k, v in {**base, **change}.items() if v is not None}
        r = await post_form(admin_client, "/admin/labels", "/admin/labels", data)
        assert r.status_code == 422, (change, r.status_code)
        shown = field_error(r.text, field) if field else unescape(r.text)
        assert shown and message in shown, (change, shown)


async def test_run_now_records_a_run_that_the_jobs_page_lists(admin_client):
    r = await post_form(
        admin_client, "/admin/jobs", "/admin/jobs/expire_holds/run", {"confirm": "yes"}
    )
    assert r.status_code == 303
    page = (await admin_client.get(r.headers["location"])).text
    assert "Job expire_holds ran (run " in page
    assert re.search(r'data-label="Job">expire_holds</td>', page)
    assert re.search(r'data-label="How">web</td>', page)
    r = await post_form(admin_client, "/admin/jobs", "/admin/jobs/no_such_job/run", {})
    assert r.status_code == 404


async def test_a_job_that_changes_data_asks_first_and_says_what_it_does(admin_client):
    r = await post_form(admin_client, "/admin/jobs", "/admin/jobs/anonymize/run", {})
    assert r.status_code == 303 and r.headers["location"] == "/admin/jobs/anonymize/run"
    page = unescape((await admin_client.get(r.headers["location"])).text)
    assert "Run anonymize now?" in page and "This job changes data." in page
    assert "cannot be undone" in page and 'name="confirm" value="yes"' in page
    jobs = (await admin_client.get("/admin/jobs")).text
    assert "Not run yet" in jobs and "anonymize" in jobs  # nothing ran without the yes
    # A job that only queues reminders runs straight away.
    r = await post_form(admin_client, "/admin/jobs", "/admin/jobs/due_soon/run", {})
    assert r.status_code == 303 and "job=due_soon" in r.headers["location"]


async def test_the_jobs_page_shows_each_jobs_last_run_with_its_history_folded(admin_client):
    for _ in range(3):
        r = await post_form(
            admin_client, "/admin/jobs", "/admin/jobs/carrier_actions/run", {"confirm": "yes"}
        )
        assert r.status_code == 303
    page = (await admin_client.get("/admin/jobs")).text
    assert page.count('<table class="stack jobs">') == 1 and 'class="stack runs"' not in page
    row = page[page.index('href="/admin/jobs?job=carrier_actions"') :]
    row = row[: row.index("</tr>")]
    assert "<details" in row and "2 earlier runs" in row
    assert "Show every run of every job" in page
    every = (await admin_client.get("/admin/jobs?all=yes")).text
    assert every.count('data-label="Job">carrier_actions</td>') == 3


async def test_desk_staff_get_a_403_page_and_anonymous_users_the_login(client, api):
    for path in ("/admin", "/admin/devices", "/admin/devices/new", "/admin/labels", "/admin/jobs"):
        r = await client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/admin")
    await page_login(client, "desk")
    for path in ("/admin", "/admin/devices/new", "/admin/labels", "/admin/jobs"):
        r = await client.get(path)
        assert r.status_code == 403 and "for administrators" in r.text
    # The permission table lets desk read the devices (as GET /api/devices does), not edit them.
    r = await client.get("/admin/devices")
    assert r.status_code == 200 and "/admin/devices/new" not in r.text
    token = csrf_of((await client.get("/login")).text)
    r = await client.post("/admin/jobs/expire_holds/run", data={"_csrf_token": token})
    assert r.status_code == 403
