"""Logging in to the pages, cookies, CSRF and the role checks, in a real browser."""

from __future__ import annotations

import re

import httpx
from browser_accounts import ADMIN, log_in_staff


def test_staff_login_page_is_accessible_and_refuses_a_wrong_password(
    page, server, check_accessibility, review_screenshot
):
    page.goto(server.base_url + "/login")
    check_accessibility(page)
    review_screenshot(page, "login")
    page.get_by_label("Username").fill(ADMIN[0])
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("alert").inner_text() == "Wrong username or password."
    check_accessibility(page)


def test_session_cookie_is_signed_http_only_and_same_site_lax(page, server):
    log_in_staff(page, server)
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["lending_session"]
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Lax"
    assert session["secure"] is False  # plain http on localhost
    # A tampered cookie is no session at all: the staff page sends us to the login.
    page.context.add_cookies(
        [
            {
                **session,
                "value": session["value"][:-2] + ("AA" if session["value"][-2:] != "AA" else "BB"),
            }
        ]
    )
    page.goto(server.base_url + "/admin")
    assert re.search(r"/login\?next=/admin$", page.url)


def test_a_form_post_without_its_csrf_token_is_refused(page, server):
    page.goto(server.base_url + "/login")
    # The same form, posted without the hidden _csrf_token field.
    page.evaluate("document.querySelector('input[name=_csrf_token]').remove()")
    page.get_by_label("Username").fill(ADMIN[0])
    page.get_by_label("Password").fill(ADMIN[1])
    page.get_by_role("button", name="Log in").click()
    assert "not sent from this site" in page.get_by_role("alert").inner_text()
    assert "/login" in page.url
    # And a cross-site post with no cookie at all is refused too.
    r = httpx.post(server.base_url + "/login", data={"username": ADMIN[0], "password": ADMIN[1]})
    assert r.status_code == 403
