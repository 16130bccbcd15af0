"""The line, plan and notice pages in-process (no browser), issue 12 points 1 and 6: bad
ICCID/IMEI/phone numbers are field errors and store nothing, hostile values never a 5xx, a line
is installed, swapped and retired with its history and audit events; the dashboard and jobs
page warn when email/SMS is not set up and the notices page re-queues a failed notice."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest

from lending.tables import DataPlan, Device, Event, LineMove, Notice, ServiceLine

LONG = "x" * 10_000
ICCID_A = "89012600000000000011"
ICCID_B = "89012600000000000029"
IMEI = "350000000000014"


def csrf_of(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def field_error(html: str, name: str) -> str | None:
    match = re.search(rf'<p class="error" id="f-{name}-error">([^<]*)</p>', html)
    return unescape(match.group(1)) if match else None


async def post_form(client: Any, form_url: str, action: str, data: dict[str, str]) -> Any:
    r = await client.get(form_url)
    assert r.status_code == 200, r.text
    return await client.post(action, data={**data, "_csrf_token": csrf_of(r.text)})


@pytest.fixture
async def admin(client, api, library):
    r = await client.get("/login")
    r = await client.post(
        "/login",
        data={"username": "admin", "password": "correct-horse", "_csrf_token": csrf_of(r.text)},
    )
    assert r.status_code == 303, r.text
    return client


def line_form(**values: str) -> dict[str, str]:
    return {
        "iccid": ICCID_A,
        "phone_number": "+1 555 020 0001",
        "carrier": "T-Mobile",
        "plan": "",
        "device": "",
        "imei": "",
        "status": "active",
        **values,
    }


def test_luhn_values_used_here_are_valid():
    from lending.circulation.identifiers import valid_iccid, valid_imei

    assert valid_iccid(ICCID_A) and valid_iccid(ICCID_B) and valid_imei(IMEI)


async def test_bad_iccid_imei_and_phone_are_field_errors_and_nothing_is_stored(admin):
    r = await post_form(
        admin,
        "/admin/lines/new",
        "/admin/lines/new",
        line_form(iccid="89012600000000000012", phone_number="555", imei="123", device="DEV001"),
    )

    assert r.status_code == 422
    assert "check digit" in field_error(r.text, "iccid")
    assert "country code" in field_error(r.text, "phone_number")
    assert "IMEI" in field_error(r.text, "imei")
    assert await ServiceLine.count() == 0
    assert (await Device.select(Device.imei).where(Device.barcode == "DEV001").first())[
        "imei"
    ] is None


@pytest.mark.parametrize(
    "values",
    [
        {"iccid": LONG},
        {"phone_number": LONG},
        {"carrier": LONG},
        {"carrier": ""},
        {"plan": "99999999999999999999"},
        {"plan": "-1"},
        {"plan": "'; DROP TABLE service_line; --"},
        {"device": LONG},
        {"device": "NO-SUCH-DEVICE"},
        {"imei": LONG},
        {"status": "exploded"},
        {"iccid": "\x00"},
    ],
)
async def test_hostile_line_form_values_are_refused_without_a_5xx(admin, values):
    r = await post_form(admin, "/admin/lines/new", "/admin/lines/new", line_form(**values))

    assert r.status_code == 422, r.text[:500]
    assert 'class="alert error"' in r.text
    assert await ServiceLine.count() == 0


@pytest.mark.parametrize(
    "values",
    [
        {"name": ""},
        {"name": LONG},
        {"monthly_cost": "-5"},
        {"monthly_cost": "lots"},
        {"data_cap_gb": "0"},
        {"term_end": "next year"},
    ],
)
async def test_bad_plan_form_values_are_field_errors(admin, values):
    data = {"carrier": "T-Mobile", "name": "Ed 50", "monthly_cost": "15", **values}

    r = await post_form(admin, "/admin/plans/new", "/admin/plans/new", data)

    assert r.status_code == 422
    assert any(field_error(r.text, name) for name in values)
    assert await DataPlan.count() == 0


async def test_plan_and_line_added_installed_swapped_and_retired_by_hand(admin):
    r = await post_form(
        admin,
        "/admin/plans/new",
        "/admin/plans/new",
        {"carrier": "T-Mobile", "name": "Education 50 GB", "monthly_cost": "15", "term_end": ""},
    )
    assert r.status_code == 303
    [plan] = await DataPlan.select()
    r = await post_form(
        admin,
        f"/admin/plans/{plan['id']}/edit",
        f"/admin/plans/{plan['id']}/edit",
        {"carrier": "T-Mobile", "name": "Education 100 GB", "monthly_cost": "20.5"},
    )
    assert r.status_code == 303
    assert (await DataPlan.select().first())["monthly_cost_cents"] == 2050

    r = await post_form(
        admin,
        "/admin/lines/new?device=DEV001",
        "/admin/lines/new",
        line_form(plan=str(plan["id"]), device="DEV001", imei=IMEI),
    )
    assert r.status_code == 303, re.findall(r"class=\"(?:error|alert error)\"[^>]*>([^<]*)", r.text)
    device = await Device.select().where(Device.barcode == "DEV001").first()
    assert device["imei"] == IMEI
    page = (await admin.get("/admin/devices/DEV001")).text
    assert ICCID_A in page and "Swap line" in page and "Retire line" in page
    assert "Install a line" in (await admin.get("/admin/devices/DEV002")).text

    # A spare line swapped in: the old one comes out, both moves in the history.
    r = await post_form(
        admin, "/admin/lines/new", "/admin/lines/new",
        line_form(iccid=ICCID_B, phone_number="+15550200002"),
    )  # fmt: skip
    assert r.status_code == 303
    r = await post_form(
        admin,
        "/admin/lines/install?device=DEV001",
        "/admin/lines/install",
        {"device": "DEV001", "iccid": ICCID_B},
    )
    assert r.status_code == 303, re.findall(r"class=\"(?:error|alert error)\"[^>]*>([^<]*)", r.text)
    lines = {row["iccid"]: row for row in await ServiceLine.select()}
    assert lines[ICCID_B]["device"] == device["id"] and lines[ICCID_A]["device"] is None
    assert await LineMove.count() == 3

    r = await post_form(admin, f"/admin/lines/{ICCID_B}", f"/admin/lines/{ICCID_B}/retire", {})
    assert r.status_code == 303
    retired = await ServiceLine.select().where(ServiceLine.iccid == ICCID_B).first()
    assert retired["status"] == "cancelled" and retired["device"] is None
    actions = {e["action"] for e in await Event.select(Event.action)}
    assert {"plan_created", "plan_updated", "line_created", "line_swapped", "line_retired"} <= (
        actions
    )
    # Installing the retired line again is refused on the page, not with a 5xx.
    r = await post_form(
        admin,
        "/admin/lines/install?device=DEV001",
        "/admin/lines/install",
        {"device": "DEV001", "iccid": ICCID_B},
    )
    assert r.status_code == 422 and "retired" in r.text


async def test_duplicate_iccid_is_shown_next_to_its_field(admin):
    r = await post_form(admin, "/admin/lines/new", "/admin/lines/new", line_form())
    assert r.status_code == 303
    r = await post_form(
        admin, "/admin/lines/new", "/admin/lines/new", line_form(phone_number="+15550200009")
    )
    assert r.status_code == 409 or r.status_code == 422
    assert "already exists" in (field_error(r.text, "iccid") or "")


async def test_line_pages_for_unknown_or_hostile_addresses_are_not_5xx(admin):
    for url in ("/admin/lines/" + "9" * 500, "/admin/lines/89x", "/admin/plans/abc/edit",
                "/admin/plans/99999999999/edit", "/admin/lines/install?device="):  # fmt: skip
        r = await admin.get(url)
        assert 400 <= r.status_code < 500, (url, r.status_code)


async def test_dashboard_and_jobs_page_warn_when_email_is_not_set_up(admin, api):
    assert "Email/SMS not set up" in (await admin.get("/admin")).text  # neither is set up
    r = await api.client.post(
        "/api/holds",
        json={"patron": "P001", "kind": "laptop", "branch": "MAIN"},
        headers=api.headers["admin"],
    )
    await api.client.patch(
        "/api/patrons/P001", json={"email": "ana@example.org"}, headers=api.headers["admin"]
    )
    from lending.database import write_transaction
    from lending.services.notices.outbox import queue_notice
    from lending.tables import Patron

    patron = await Patron.select(Patron.id).where(Patron.card_number == "P001").first()
    from datetime import UTC, datetime

    async with write_transaction():
        await queue_notice(
            "plan_digest", datetime(2026, 12, 1, tzinfo=UTC), patron_id=patron["id"], stage="x"
        )
    for url in ("/admin", "/admin/jobs", "/admin/notices"):
        html = (await admin.get(url)).text
        assert "Email/SMS not set up: 1 notice waiting" in html, url
        assert "LENDING_SMTP_HOST" in html and 'role="alert"' in html
    assert r.status_code in (200, 201)


async def test_notices_page_resends_a_failed_notice(admin, api):
    from datetime import UTC, datetime

    from lending.database import write_transaction
    from lending.services.notices.outbox import queue_notice
    from lending.tables import Patron

    patron = await Patron.select(Patron.id).where(Patron.card_number == "P002").first()
    async with write_transaction():
        await queue_notice(
            "plan_digest", datetime(2026, 12, 1, tzinfo=UTC), patron_id=patron["id"], stage="x"
        )
    await Notice.update({Notice.status: "failed", Notice.last_error: "SMTP error: 550"}, force=True)
    [notice] = await Notice.select()
    page = await admin.get("/admin/notices?status=failed&patron=P002")
    assert "SMTP error: 550" in page.text and "Send again" in page.text
    assert "Send notice" not in (await admin.get("/admin/notices?status=sent")).text

    r = await admin.post(
        f"/admin/notices/{notice['id']}/resend", data={"_csrf_token": csrf_of(page.text)}
    )

    assert r.status_code == 303
    assert (await Notice.select().first())["status"] == "pending"
    r = await admin.post(
        f"/admin/notices/{notice['id']}/resend", data={"_csrf_token": csrf_of(page.text)}
    )
    assert r.status_code == 409 and "only a failed" in unescape(r.text)
    for bad in ("abc", "0", "9" * 30):
        r = await admin.post(
            f"/admin/notices/{bad}/resend", data={"_csrf_token": csrf_of(page.text)}
        )
        assert 400 <= r.status_code < 500
