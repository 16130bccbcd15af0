"""Login limits beyond one account's lockout, in process, on both databases: failed logins per
client address across accounts, the per-process request rate, which address counts (trusted
proxies only), long usernames, and Argon2 kept off the event loop. The same limits under truly
concurrent requests are in tests/integration/test_login_races.py."""

from __future__ import annotations

import re
import threading

import pytest
from argon2 import PasswordHasher

from lending.services.access import passwords

# The ASGI test transport's socket peer is 127.0.0.1.
PEER = "127.0.0.1"


@pytest.fixture
def overrides() -> dict:
    return {}


@pytest.fixture
async def app(db_url, clock, overrides):
    from lending.app import create_app
    from lending.settings import Settings

    settings = Settings(
        database_url=db_url, timezone="America/Chicago", secret_key="test-secret", **overrides
    )
    return create_app(settings, clock=clock)


def assert_429(response, code: str = "too_many_attempts") -> int:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code
    retry_after = int(response.headers["retry-after"])
    assert retry_after >= 1
    return retry_after


async def resident_login(api, card: str, pin: str, **headers: str):
    return await api.client.post(
        "/api/auth/token", json={"card_number": card, "pin": pin}, headers=headers
    )


async def test_a_client_that_fails_twenty_logins_across_cards_gets_429_with_retry_after(
    api, library, clock
):
    for i in range(20):
        r = await resident_login(api, f"NOCARD{i:02d}", "1234")
        assert r.status_code == 401, r.text
    # The right PIN for a card this client never tried: refused, for the client, not the card.
    retry_after = assert_429(await resident_login(api, "P001", "1234"))
    assert 14 * 60 < retry_after <= 15 * 60
    staff = await api.client.post(
        "/api/auth/token", json={"username": "desk", "password": "correct-horse"}
    )
    assert_429(staff)
    clock.advance(minutes=15)
    assert (await resident_login(api, "P001", "1234")).status_code == 200


async def test_a_forwarded_header_from_an_untrusted_peer_does_not_change_the_client(api, library):
    for i in range(20):
        r = await resident_login(
            api, f"NOCARD{i:02d}", "0000", **{"x-forwarded-for": f"10.0.0.{i}"}
        )
        assert r.status_code == 401, r.text
    assert_429(await resident_login(api, "P001", "1234", **{"x-forwarded-for": "10.9.9.9"}))


@pytest.mark.parametrize("overrides", [{"trusted_proxies": (f"{PEER}/32",)}])
async def test_behind_a_trusted_proxy_each_forwarded_client_is_counted_on_its_own(api, library):
    spray = {"x-forwarded-for": "203.0.113.5"}
    for i in range(20):
        assert (await resident_login(api, f"NOCARD{i:02d}", "0000", **spray)).status_code == 401
    assert_429(await resident_login(api, "P001", "1234", **spray))
    # Another resident behind the same proxy is not locked out by the sprayer.
    other = {"x-forwarded-for": "198.51.100.7, " + PEER}
    assert (await resident_login(api, "P001", "1234", **other)).status_code == 200


@pytest.mark.parametrize("overrides", [{"trusted_proxies": (f"{PEER}/32",)}])
async def test_an_owner_logging_in_does_not_forgive_a_sprayers_tries_on_their_card(api, library):
    spray = {"x-forwarded-for": "203.0.113.6"}
    for _ in range(4):
        assert (await resident_login(api, "P001", "0000", **spray)).status_code == 401
    for i in range(16):
        assert (await resident_login(api, f"NOCARD{i:02d}", "0000", **spray)).status_code == 401
    owner = {"x-forwarded-for": "198.51.100.8"}
    assert (await resident_login(api, "P001", "1234", **owner)).status_code == 200
    assert_429(await resident_login(api, "P002", "0000", **spray))
    # The owner's card is unlocked for the owner: its failure count started again.
    for _ in range(4):
        assert (await resident_login(api, "P001", "0000", **owner)).status_code == 401
    assert (await resident_login(api, "P001", "1234", **owner)).status_code == 200


@pytest.mark.parametrize("overrides", [{"login_requests_per_minute": 5}])
async def test_login_requests_beyond_the_rate_get_429_on_the_api_and_the_pages(api, library):
    # The `api` fixture has made 2 of the 5 (the admin's and the desk's logins).
    for _ in range(3):
        assert (await resident_login(api, "P001", "1234")).status_code == 200
    retry_after = assert_429(await resident_login(api, "P001", "1234"))
    assert retry_after <= 60
    for path, fields in [
        ("/my/login", {"card_number": "P001", "pin": "1234"}),
        ("/login", {"username": "desk", "password": "correct-horse"}),
    ]:
        form = await api.client.get(path)
        token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text).group(1)
        page = await api.client.post(path, data={**fields, "_csrf_token": token})
        assert page.status_code == 429, page.text
        assert int(page.headers["retry-after"]) >= 1


@pytest.mark.parametrize(
    "body",
    [
        {"username": "u" * 95, "password": "x"},
        {"username": "u" * 64 + "x", "password": "x"},
    ],
    ids=["username-95", "username-65"],
)
async def test_an_overlong_username_or_card_gets_a_4xx_and_nothing_is_written(api, body):
    from lending.tables import LoginAttempt

    r = await api.client.post("/api/auth/token", json=body)
    assert r.status_code in (401, 422), r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert await LoginAttempt.count() == 0


async def test_an_overlong_username_on_the_login_page_gets_a_form_error_not_a_500(api):
    form = await api.client.get("/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text).group(1)
    page = await api.client.post(
        "/login", data={"username": "u" * 95, "password": "x", "_csrf_token": token}
    )
    assert page.status_code == 422, page.text
    assert "Wrong username or password." in page.text


class _RecordingHasher(PasswordHasher):
    """Cheap Argon2 that notes the threads it ran on."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.threads: list[threading.Thread] = []

    def verify(self, hash, password):  # noqa: A002 - argon2-cffi's own parameter name
        self.threads.append(threading.current_thread())
        return super().verify(hash, password)

    def hash(self, password, *, salt=None):
        self.threads.append(threading.current_thread())
        return super().hash(password, salt=salt)


@pytest.fixture
def recording_hasher():
    hasher = _RecordingHasher()
    passwords.use_hasher(hasher)
    try:
        yield hasher
    finally:
        passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


async def test_logins_and_new_pins_are_hashed_off_the_event_loop(api, library, recording_hasher):
    loop_thread = threading.current_thread()
    assert (await resident_login(api, "P001", "1234")).status_code == 200
    assert (await resident_login(api, "P001", "9999")).status_code == 401
    assert (await resident_login(api, "NOCARD", "9999")).status_code == 401
    r = await api.client.patch(
        "/api/patrons/P003", json={"pin": "4321"}, headers=api.headers["admin"]
    )
    assert r.status_code == 200, r.text
    assert len(recording_hasher.threads) >= 4
    assert loop_thread not in recording_hasher.threads
