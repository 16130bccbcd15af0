"""Page sessions end with the secret, in-process (no browser): an admin's new PIN for a patron
logs the resident out of the portal, and a new staff password logs that account out of every
page session but the one that set it (issue 10, point 6). Both database kinds."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


class Browser:
    """One person's cookies on the app: log in, post forms with their CSRF token."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def post_from(self, page: str, action: str, data: dict[str, str]) -> Any:
        r = await self.client.get(page)
        assert r.status_code == 200, r.text
        token = CSRF.search(r.text).group(1)
        return await self.client.post(action, data={**data, "_csrf_token": token})

    async def log_in_staff(self, username: str, password: str = "correct-horse") -> None:
        r = await self.post_from("/login", "/login", {"username": username, "password": password})
        assert r.status_code == 303, r.text

    async def log_in_resident(self, card: str, pin: str = "1234") -> None:
        r = await self.post_from("/my/login", "/my/login", {"card_number": card, "pin": pin})
        assert r.status_code == 303 and r.headers["location"] == "/my", r.text

    async def lands_on(self, url: str) -> str:
        """Where opening `url` ends up: the page itself, or the login it redirects to."""
        r = await self.client.get(url)
        return r.headers["location"] if r.status_code in (302, 303) else url


@pytest.fixture
async def browsers(app, client, api, library) -> AsyncIterator[Any]:
    clients = []

    def new() -> Browser:
        c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        clients.append(c)
        return Browser(c)

    yield new
    for c in clients:
        await c.aclose()


async def test_an_admin_setting_a_new_pin_logs_the_resident_out_of_the_portal(browsers):
    resident, neighbour, admin = browsers(), browsers(), browsers()
    await resident.log_in_resident("P001")
    await neighbour.log_in_resident("P002")
    await admin.log_in_staff("admin")
    assert await resident.lands_on("/my") == "/my"

    r = await admin.post_from(
        "/admin/patrons/P001", "/admin/patrons/P001/pin", {"pin": "9753", "pin_again": "9753"}
    )
    assert r.status_code == 303, r.text

    assert (await resident.lands_on("/my")).startswith("/my/login")
    assert await neighbour.lands_on("/my") == "/my"
    assert await admin.lands_on("/admin") == "/admin"
    await resident.log_in_resident("P001", "9753")


async def test_a_new_staff_password_ends_that_accounts_other_page_sessions(browsers, api):
    await api.staff("clerk", "desk", password="clerk-password")
    clerk_desk, clerk_home = browsers(), browsers()
    await clerk_desk.log_in_staff("clerk", "clerk-password")
    await clerk_home.log_in_staff("clerk", "clerk-password")
    admin, admin_laptop = browsers(), browsers()
    await admin.log_in_staff("admin")
    await admin_laptop.log_in_staff("admin")

    r = await admin.post_from(
        "/admin/staff",
        "/admin/staff/password",
        {"account": "clerk", "new_password": "fresh-pass-1"},
    )
    assert r.status_code == 303, r.text
    assert (await clerk_desk.lands_on("/desk")).startswith("/login")
    assert (await clerk_home.lands_on("/desk")).startswith("/login")
    assert await admin.lands_on("/admin") == "/admin"

    # The admin's own new password: this session stays, the one on the other laptop ends.
    r = await admin.post_from(
        "/admin/staff",
        "/admin/staff/password",
        {"account": "admin", "new_password": "fresh-pass-2"},
    )
    assert r.status_code == 303, r.text
    assert await admin.lands_on("/admin") == "/admin"
    assert (await admin_laptop.lands_on("/admin")).startswith("/login")
