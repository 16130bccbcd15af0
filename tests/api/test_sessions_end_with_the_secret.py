"""A changed PIN or password ends the account's other sessions, and logging out ends the one
presented (issue 10, point 6). Both database kinds."""

from __future__ import annotations

from typing import Any


async def status_of(api: Any, headers: dict[str, str], url: str) -> int:
    return (await api.as_(headers, "GET", url)).status_code


async def test_a_pin_reset_by_an_admin_ends_every_token_of_that_resident(api, library):
    phone = await api.login(card_number="P001", pin="1234")
    laptop = await api.login(card_number="P001", pin="1234")
    neighbour = await api.login(card_number="P002", pin="1234")

    r = await api.as_(api.headers["admin"], "PATCH", "/api/patrons/P001", json={"pin": "5678"})
    assert r.status_code == 200, r.text

    assert await status_of(api, phone, "/api/me") == 401
    assert await status_of(api, laptop, "/api/me") == 401
    assert await status_of(api, neighbour, "/api/me") == 200
    fresh = await api.login(card_number="P001", pin="5678")
    assert await status_of(api, fresh, "/api/me") == 200


async def test_a_change_that_is_not_the_pin_keeps_the_residents_sessions(api, library):
    phone = await api.login(card_number="P001", pin="1234")
    r = await api.as_(api.headers["desk"], "PATCH", "/api/patrons/P001", json={"name": "Ana R"})
    assert r.status_code == 200, r.text
    assert await status_of(api, phone, "/api/me") == 200


async def test_a_pin_given_by_a_csv_import_ends_that_residents_tokens_only(api, library):
    ana = await api.login(card_number="P001", pin="1234")
    ben = await api.login(card_number="P002", pin="1234")
    r = await api.client.post(
        "/api/imports/patrons",
        content=b"card_number,name,pin\nP001,Ana,8642\nP002,Ben,\n",
        headers={**api.headers["admin"], "content-type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["updated"], r.json()["unchanged"]) == (1, 1)
    assert await status_of(api, ana, "/api/me") == 401
    assert await status_of(api, ben, "/api/me") == 200  # an empty PIN cell keeps the PIN
    await api.login(card_number="P001", pin="8642")


async def test_a_staff_password_reset_by_an_admin_ends_every_token_of_that_account(api):
    first = await api.staff("clerk", "desk", password="clerk-password")
    second = await api.login(username="clerk", password="clerk-password")
    r = await api.as_(
        api.headers["admin"], "PUT", "/api/staff/clerk/password", json={"password": "new-password"}
    )
    assert r.status_code == 200, r.text
    assert await status_of(api, first, "/api/devices") == 401
    assert await status_of(api, second, "/api/devices") == 401
    assert await status_of(api, api.headers["admin"], "/api/devices") == 200
    assert await status_of(api, api.headers["desk"], "/api/devices") == 200


async def test_an_admin_changing_their_own_password_keeps_only_the_session_making_the_change(
    api,
):
    changing = api.headers["admin"]
    other = await api.login(username="admin", password="correct-horse")
    r = await api.as_(
        changing, "PUT", "/api/staff/admin/password", json={"password": "brand-new-secret"}
    )
    assert r.status_code == 200, r.text
    assert await status_of(api, changing, "/api/staff") == 200
    assert await status_of(api, other, "/api/staff") == 401


async def test_logging_out_revokes_the_presented_staff_token_and_no_other(api, problem_code):
    first = await api.login(username="desk", password="correct-horse")
    second = await api.login(username="desk", password="correct-horse")
    r = await api.as_(first, "POST", "/api/auth/logout")
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert problem_code(await api.as_(first, "GET", "/api/devices"), 401) == "unauthenticated"
    assert await status_of(api, second, "/api/devices") == 200
    # The same token again, or none at all: 401.
    assert problem_code(await api.as_(first, "POST", "/api/auth/logout"), 401) == (
        "unauthenticated"
    )
    r = await api.client.post("/api/auth/logout")
    assert problem_code(r, 401) == "unauthenticated"
    r = await api.as_({"Authorization": "Bearer not-a-token"}, "POST", "/api/auth/logout")
    assert problem_code(r, 401) == "unauthenticated"


async def test_logging_out_revokes_a_residents_token(api, library, problem_code):
    resident = await api.login(card_number="P003", pin="1234")
    assert await status_of(api, resident, "/api/me") == 200
    r = await api.as_(resident, "POST", "/api/auth/logout")
    assert r.status_code == 204, r.text
    assert problem_code(await api.as_(resident, "GET", "/api/me"), 401) == "unauthenticated"


async def test_logout_is_in_the_openapi_document_with_its_401(api):
    r = await api.client.get("/schema/openapi.json")
    logout = r.json()["paths"]["/api/auth/logout"]["post"]
    assert "204" in logout["responses"] and "401" in logout["responses"]
