"""The browser tests' accounts and login steps (a module with a name of its own: test files
import from here, never from `conftest`, which names a different file in each test folder)."""

from __future__ import annotations

import re
from typing import Any

from live_server import ADMIN_PASSWORD, LiveServer

__all__ = ["ADMIN", "DESK", "log_in_resident", "log_in_staff"]

DESK_PASSWORD = "desk-password-123"
ADMIN = ("admin", ADMIN_PASSWORD)
DESK = ("desk1", DESK_PASSWORD)


def log_in_staff(page: Any, server: LiveServer, account: tuple[str, str] = ADMIN) -> None:
    page.goto(server.base_url + "/login")
    page.get_by_label("Username").fill(account[0])
    page.get_by_label("Password").fill(account[1])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/(desk|admin)"))


def log_in_resident(page: Any, server: LiveServer, card: str, pin: str) -> None:
    page.goto(server.base_url + "/my/login")
    page.locator("#f-card_number").fill(card)
    page.locator("#f-pin").fill(pin)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r".*/my$"))
