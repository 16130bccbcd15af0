"""The admin console's Kiosks (SIP2) page, in-process (no browser), on both databases: an admin
adds a kiosk's SIP2 account through the form (it can then log in), a bad value shows its error
next to the field and adds nothing, removing asks first, and desk staff cannot open the page."""

from __future__ import annotations

import re
from html import unescape

import httpx
import pytest
from test_admin_people_forms import LONG, Pages, field_error, value_of

from lending.services.access.sip_accounts import SipLogin, list_sip_accounts, log_in_kiosk
from lending.services.actors import SYSTEM
from lending.services.library.service_points import update_service_point
from lending.tables import Event

GOOD = {
    "name": "lobby-kiosk.1",
    "password": "kiosk-secret-9",
    "service_point": "EAST",
    "encoding": "utf-8",
}


@pytest.fixture
async def pages(client, api, library) -> Pages:
    pages = Pages(client)
    assert await pages.log_in() == 303
    return pages


def kiosk_rows(html: str) -> list[str]:
    """The names in the kiosks table, in order."""
    table = re.search(r'<table class="stack" id="kiosks">(.*?)</table>', html, re.S)
    if table is None:
        return []
    return [unescape(n) for n in re.findall(r'<td data-label="Name">([^<]*)</td>', table.group(1))]


def nav_links(html: str) -> list[str]:
    nav = re.search(r'<nav[^>]*aria-label="Admin"[^>]*>(.*?)</nav>', html, re.S)
    return re.findall(r'<a href="([^"]+)"', nav.group(1)) if nav else []


async def names() -> list[str]:
    return [a.name for a in await list_sip_accounts()]


async def test_an_admin_adds_a_kiosk_account_through_the_form_and_it_is_listed_and_can_log_in(
    pages, app, clock
):
    r = await pages.get("/admin/kiosks")
    assert r.status_code == 200
    assert "No kiosk accounts yet." in r.text
    # The help: where kiosks connect, how the server is started, who they are in the trail.
    help_text = unescape(re.sub(r"<[^>]+>", "", r.text))
    assert "127.0.0.1:6001" in help_text and "plain TCP" in help_text
    assert "lending sip2 serve" in help_text and "LENDING_SIP2_SERVE=true" in help_text
    assert "sip:<name>" in help_text
    # The form: a password field for a new password, the active points and the encodings.
    assert re.search(r'<input id="f-password" name="password" type="password"[^>]*'
                     r'autocomplete="new-password"', r.text)  # fmt: skip
    assert '<option value="MAIN">Main (MAIN)</option>' in r.text
    assert '<option value="EAST">East (EAST)</option>' in r.text
    assert '<option value="cp850" selected>' in r.text and '<option value="utf-8">' in r.text

    r = await pages.post("/admin/kiosks", GOOD)
    assert r.status_code == 303 and r.headers["location"] == "/admin/kiosks"
    r = await pages.get("/admin/kiosks")
    assert "Kiosk account lobby-kiosk.1 added" in r.text  # the flash
    assert kiosk_rows(r.text) == ["lobby-kiosk.1"]
    row = re.search(r"<td data-label=\"Name\">lobby-kiosk.1</td>(.*?)</tr>", r.text, re.S)
    assert row is not None
    assert "East (EAST)" in row.group(1) and "utf-8" in row.group(1)
    assert "Active" in row.group(1) and "Tue 1 Dec 2026, 10:00 CST" in row.group(1)
    assert GOOD["password"] not in r.text

    login = await log_in_kiosk(GOOD["name"], GOOD["password"], clock.now, app.state.settings)
    assert isinstance(login, SipLogin)
    assert login.service_point == "EAST" and login.encoding == "utf-8"
    assert await log_in_kiosk(GOOD["name"], "wrong-password", clock.now, app.state.settings) is None
    events = await Event.select().where(Event.action == "sip_account_added")
    assert [(e["actor"], e["subject"]) for e in events] == [("admin", "lobby-kiosk.1")]

    # The other encoding is the default; the second account is listed by name.
    r = await pages.post("/admin/kiosks", {**GOOD, "name": "atrium", "encoding": "cp850"})
    assert r.status_code == 303
    assert kiosk_rows((await pages.get("/admin/kiosks")).text) == ["atrium", "lobby-kiosk.1"]


async def test_a_bad_name_a_short_password_an_unknown_point_or_a_taken_name_is_a_field_error(
    pages, clock
):
    async def refused(values: dict[str, str], field: str) -> str:
        r = await pages.post("/admin/kiosks", {**GOOD, **values})
        assert r.status_code == 422, r.text[:300]
        assert "The account was not added" in r.text
        assert GOOD["password"] not in r.text and value_of(r.text, "f-password") is None
        assert await names() == []
        return field_error(r.text, field)

    assert await refused({"name": "  "}, "f-name") == "Enter a name for the kiosk."
    assert "letters, digits" in await refused({"name": "lobby kiosk"}, "f-name")
    assert "letters, digits" in await refused({"name": "kiosk/1"}, "f-name")
    assert await refused({"password": ""}, "f-password") == "Enter a password."
    assert await refused({"password": "short"}, "f-password") == "Use at least 8 characters."
    assert await refused({"password": "p" * 129}, "f-password") == "Use at most 128 characters."
    assert await refused({"service_point": ""}, "f-service_point") == (
        "Choose an active service point."
    )
    assert "active service point" in await refused({"service_point": "NOPE"}, "f-service_point")
    assert "cp850 or UTF-8" in await refused({"encoding": "latin-1"}, "f-encoding")

    # What was typed is kept (never the password); every bad field is marked at once.
    r = await pages.post(
        "/admin/kiosks", {"name": "front-desk", "password": "short", "service_point": "X"}
    )
    assert r.status_code == 422
    assert value_of(r.text, "f-name") == "front-desk"
    assert field_error(r.text, "f-password") and field_error(r.text, "f-service_point")
    assert field_error(r.text, "f-encoding")
    assert field_error(r.text, "f-name") == ""

    # An inactive service point is not offered, and not accepted.
    await update_service_point(SYSTEM, clock.now, "EAST", {"active": False})
    r = await pages.get("/admin/kiosks")
    assert '<option value="EAST">' not in r.text and '<option value="MAIN">' in r.text
    assert "active service point" in await refused({}, "f-service_point")

    # A name that is taken.
    r = await pages.post("/admin/kiosks", {**GOOD, "service_point": "MAIN"})
    assert r.status_code == 303
    r = await pages.post(
        "/admin/kiosks", {**GOOD, "service_point": "MAIN", "password": "other-pw-1"}
    )
    assert r.status_code == 422
    assert "already exists" in field_error(r.text, "f-name")
    assert value_of(r.text, "f-name") == GOOD["name"]
    assert await names() == [GOOD["name"]]


@pytest.mark.parametrize(
    "values",
    [
        {"name": LONG},
        {"password": LONG},
        {"service_point": LONG},
        {"encoding": LONG},
        {"name": "<script>alert(1)</script>"},
        {"name": "x'); DROP TABLE sip_account; --"},
        {"service_point": "MAIN' OR '1'='1"},
        {"name": "kiosk\x00"},
        {"password": "pass\x00word!"},
        {"name": "ki\x1bosk"},
        {"name": "é" * 64},
        {"name": "9" * 40},
    ],
    ids=["long-name", "long-password", "long-point", "long-encoding", "html", "sql-name",
         "sql-point", "nul-name", "nul-password", "escape", "accents", "huge-number"],
)  # fmt: skip
async def test_over_long_and_hostile_values_are_refused_with_a_page_and_add_nothing(pages, values):
    r = await pages.post("/admin/kiosks", {**GOOD, **values})
    if values.get("name") == "9" * 40:  # digits only are a fine name
        assert r.status_code == 303
        assert await names() == ["9" * 40]
        return
    assert 400 <= r.status_code < 500, r.text[:300]
    assert "text/html" in r.headers["content-type"]
    assert "<script>alert" not in r.text
    assert await names() == []


async def test_removing_a_kiosk_account_asks_first_then_removes_it(pages, app, clock):
    for name in ("atrium", "lobby"):
        r = await pages.post("/admin/kiosks", {**GOOD, "name": name})
        assert r.status_code == 303

    # The Remove button asks first: nothing is removed yet.
    r = await pages.post("/admin/kiosks/lobby/remove", {})
    assert r.status_code == 200
    assert "Remove kiosk account lobby?" in r.text
    assert 'name="confirm" value="yes"' in r.text and "Yes, remove lobby" in r.text
    assert await names() == ["atrium", "lobby"]

    r = await pages.post("/admin/kiosks/lobby/remove", {"confirm": "yes"})
    assert r.status_code == 303 and r.headers["location"] == "/admin/kiosks"
    r = await pages.get("/admin/kiosks")
    assert "Kiosk account lobby removed" in r.text
    assert kiosk_rows(r.text) == ["atrium"]
    assert await names() == ["atrium"]
    assert await log_in_kiosk("lobby", GOOD["password"], clock.now, app.state.settings) is None
    assert await log_in_kiosk("atrium", GOOD["password"], clock.now, app.state.settings)
    events = await Event.select().where(Event.action == "sip_account_removed")
    assert [(e["actor"], e["subject"]) for e in events] == [("admin", "lobby")]

    # Removing one that is not there (again, or never was) says so on the page.
    for path in ("lobby", "nobody", "%3Cscript%3E", "x" * 500):
        for confirm in ("", "yes"):
            r = await pages.post(f"/admin/kiosks/{path}/remove", {"confirm": confirm})
            assert r.status_code == 404, (path, r.text[:300])
            assert "No kiosk account named" in r.text and "<script>" not in r.text
    assert await names() == ["atrium"]


async def test_desk_staff_get_the_403_page_at_admin_kiosks_and_do_not_see_it_in_the_menu(
    app, pages
):
    r = await pages.get("/admin/devices")
    links = nav_links(r.text)
    assert links.index("/admin/kiosks") == links.index("/admin/staff") + 1  # after Staff
    assert "Kiosks (SIP2)" in r.text
    assert (await pages.post("/admin/kiosks", GOOD)).status_code == 303

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        desk = Pages(other)
        assert await desk.log_in("desk") == 303
        r = await desk.get("/admin/devices")
        assert r.status_code == 200
        assert "/admin/devices" in nav_links(r.text) and "/admin/kiosks" not in nav_links(r.text)
        assert "Kiosks (SIP2)" not in r.text
        r = await desk.get("/admin/kiosks")
        assert r.status_code == 403
        assert "This page is for administrators." in r.text
        assert GOOD["name"] not in r.text
        for path, data in (
            ("/admin/kiosks", {**GOOD, "name": "desk-kiosk"}),
            (f"/admin/kiosks/{GOOD['name']}/remove", {}),
            (f"/admin/kiosks/{GOOD['name']}/remove", {"confirm": "yes"}),
        ):
            r = await desk.post(path, data)
            assert r.status_code == 403, path
    assert await names() == [GOOD["name"]]
