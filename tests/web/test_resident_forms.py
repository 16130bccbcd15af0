"""The resident portal's forms in-process (no browser): field errors for bad values, refusals in
plain words, ids that are not the patron's, and who may open /my. Both database kinds."""

from __future__ import annotations

import re
from html import unescape

import pytest

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


async def log_in(client, card: str, pin: str = "1234") -> None:
    client.cookies.clear()
    r = await client.get("/my/login")
    r = await client.post(
        "/my/login", data={"card_number": card, "pin": pin, "_csrf_token": csrf_of(r.text)}
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/my"


async def post_from(client, page: str, action: str, data: dict[str, str]):
    """Post `data` to `action` with the CSRF token of the form on `page`, as a browser would."""
    r = await client.get(page)
    assert r.status_code == 200, r.text
    return await client.post(action, data={**data, "_csrf_token": csrf_of(r.text)})


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", page)))


@pytest.fixture
async def admin(api, library):
    return api.headers["admin"]


async def checkout(client, admin, card: str, device: str) -> dict:
    r = await client.post("/api/checkout", json={"patron": card, "device": device}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["loan"]


async def test_join_form_shows_field_errors_for_empty_overlong_and_unknown_values(client, admin):
    await log_in(client, "P001")
    cases = [
        ({"kind": "", "branch": ""}, ["This field is required."] * 2),
        ({"kind": "x" * 10_000, "branch": "M" * 10_000}, ["Choose one of the options"] * 2),
        ({"kind": "12345", "branch": "MAIN1"}, ["Choose one of the options"] * 2),
        ({"kind": "laptop", "branch": "NOPE"}, ["Choose one of the options"]),
        ({}, ["This field is required."] * 2),
    ]
    for data, expected in cases:
        r = await post_from(client, "/my/waitlist", "/my/waitlist", data)
        assert r.status_code == 422, (data, r.text[:500])
        errors = re.findall(r'<p class="error" id="f-(\w+)-error">([^<]+)</p>', r.text)
        assert len(errors) == len(expected), (data, errors)
        for (_, message), start in zip(errors, expected, strict=True):
            assert message.startswith(start)
        assert 'aria-invalid="true"' in r.text
    # A NUL is refused before the form is looked at, with the error page.
    r = await post_from(
        client, "/my/waitlist", "/my/waitlist", {"kind": "laptop", "branch": "M\x00"}
    )
    assert r.status_code == 422 and "branch: must not contain NUL characters" in r.text
    # Nothing was placed.
    r = await client.get("/api/holds", headers=admin)
    assert r.json()["total"] == 0


async def test_joining_twice_for_one_kind_is_refused_in_plain_words_and_cancel_works(client, admin):
    await log_in(client, "P003")
    r = await post_from(
        client, "/my/waitlist", "/my/waitlist", {"kind": "laptop", "branch": "EAST"}
    )
    assert r.status_code == 303
    r = await client.get("/my")
    page = text_of(r.text)
    assert "You joined the waitlist: Laptop at East. You are number 1 in line." in page
    assert "You are next in line." in page

    r = await post_from(
        client, "/my/waitlist", "/my/waitlist", {"kind": "laptop", "branch": "MAIN"}
    )
    assert r.status_code == 409
    assert "You are already on a waitlist for this kind of device" in text_of(r.text)

    hold_id = re.search(r'action="/my/holds/(\d+)/cancel"', (await client.get("/my")).text)[1]
    # Cancel asks first (a tap on a phone is easy to make) and nothing changes until "yes".
    r = await post_from(client, "/my", f"/my/holds/{hold_id}/cancel", {})
    assert r.status_code == 200
    assert "Leave the waitlist for a Laptop at East?" in text_of(r.text)
    assert 'name="confirm" value="yes"' in r.text
    assert (await client.get("/api/holds", headers=admin)).json()["total"] == 1
    r = await post_from(client, "/my", f"/my/holds/{hold_id}/cancel", {"confirm": "yes"})
    assert r.status_code == 303
    page = text_of((await client.get("/my")).text)
    assert "You left the waitlist: Laptop at East." in page
    assert "You are not on any waitlist." in page
    r = await client.get("/api/holds", headers=admin)
    assert r.json()["total"] == 0


async def test_renewing_shows_the_new_due_date_then_the_limit_in_spanish(client, api, admin):
    # Pinned clock: 2026-12-01 10:00 Chicago. Laptops: 14 days, one renewal.
    await client.patch("/api/patrons/P002", json={"language": "es"}, headers=admin)
    loan = await checkout(client, admin, "P002", "DEV004")
    await log_in(client, "P002")

    page = text_of((await client.get("/my")).text)
    assert 'lang="es"' in (await client.get("/my")).text
    assert "Devuélvalo a más tardar el martes, 15 de diciembre, 23:59" in page

    r = await post_from(client, "/my", f"/my/loans/{loan['id']}/renew", {})
    assert r.status_code == 303
    page = text_of((await client.get("/my")).text)
    assert "Renovado: Computadora portátil (DEV004)." in page
    assert "martes, 29 de diciembre, 23:59" in page
    assert "Renovaciones usadas: 1 de 1" in page
    # At the limit the Renew button is gone, and the page says why.
    assert f'action="/my/loans/{loan["id"]}/renew"' not in (await client.get("/my")).text
    assert "Ya no quedan renovaciones" in page

    r = await post_from(client, "/my", f"/my/loans/{loan['id']}/renew", {})
    assert r.status_code == 409
    page = text_of(r.text)
    assert "No se pudo renovar: Computadora portátil (DEV004)." in page
    assert "Ya se renovó el máximo de veces permitido" in page
    assert "martes, 29 de diciembre, 23:59" in page

    # Switching to English changes the words and the date format.
    r = await post_from(client, "/my", "/language", {"language": "en", "next": "/my"})
    assert r.headers["location"] == "/my"
    page = text_of((await client.get("/my")).text)
    assert "Return by Tuesday, December 29, 11:59 PM" in page


async def test_renewal_refused_when_others_wait_names_the_due_date(client, api, admin):
    loan = await checkout(client, admin, "P001", "DEV004")
    await checkout(client, admin, "P003", "DEV005")  # no laptop left at MAIN
    r = await client.post(
        "/api/holds", json={"patron": "P002", "kind": "laptop", "branch": "MAIN"}, headers=admin
    )
    assert r.status_code == 201, r.text
    await log_in(client, "P001")
    r = await post_from(client, "/my", f"/my/loans/{loan['id']}/renew", {})
    assert r.status_code == 409
    assert (
        "Others are waiting for this kind of device, so it can't be renewed. Please return it "
        "by Tuesday, December 15, 11:59 PM." in text_of(r.text)
    )
    assert 'role="alert"' in r.text

    # The laptop that comes back goes to the waiting patron, who sees it ready for pickup.
    r = await client.post("/api/checkin", json={"device": "DEV005"}, headers=admin)
    assert r.json()["hold"]["patron"] == "P002", r.text
    await log_in(client, "P002")
    page = text_of((await client.get("/my")).text)
    assert "It is ready for you! Pick it up at Main by Friday, December 4, 11:59 PM." in page
    assert "I don't need it" in page


async def test_ids_that_are_not_numbers_or_not_mine_read_as_not_found(client, admin):
    other = await checkout(client, admin, "P003", "DEV001")
    await log_in(client, "P001")
    for bad in ["abc", "-1", "0", "99999999999999999999", "1.5", str(other["id"])]:
        r = await post_from(client, "/my", f"/my/loans/{bad}/renew", {})
        assert r.status_code == 404, (bad, r.text[:300])
        assert "We could not find that loan on your account." in text_of(r.text)
        r = await post_from(client, "/my", f"/my/holds/{bad}/cancel", {})
        assert r.status_code == 404, (bad, r.text[:300])
        assert "We could not find that waitlist place on your account." in text_of(r.text)
    r = await client.get("/api/loans?patron=P003", headers=admin)
    assert r.json()["items"][0]["renewals"] == 0


async def test_only_residents_open_the_portal_and_posts_need_the_csrf_token(client, api, admin):
    client.cookies.clear()
    r = await client.get("/my/waitlist")
    assert r.status_code == 303
    assert r.headers["location"] == "/my/login?next=/my/waitlist"

    # A staff session is refused with the 403 page.
    r = await client.get("/login")
    r = await client.post(
        "/login",
        data={"username": "desk", "password": "correct-horse", "_csrf_token": csrf_of(r.text)},
    )
    assert r.status_code == 303
    r = await client.get("/my")
    assert r.status_code == 403
    assert "This page is for residents" in r.text

    await log_in(client, "P001")
    r = await client.post("/my/waitlist", data={"kind": "laptop", "branch": "MAIN"})
    assert r.status_code == 403
    r = await client.get("/api/holds", headers=admin)
    assert r.json()["total"] == 0
