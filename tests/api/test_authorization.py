"""Who may call what: the role matrix for every endpoint, tokens that are missing, garbage or
expired, guards that run before the body is read, and the login lockout."""

from __future__ import annotations

import re
from typing import Any

import pytest

PUBLIC, RESIDENT, DESK, ADMIN = "public", "resident", "desk", "admin"
STAFF = (DESK, ADMIN)

# (method, path, body, roles allowed): every endpoint of the contract plus the staff accounts.
# Each body succeeds when sent once, in this order, by a role that is allowed.
MATRIX: list[tuple[str, str, Any, tuple[str, ...]]] = [
    ("GET", "/api/health", None, (PUBLIC,)),
    ("POST", "/api/auth/token", {"card_number": "P002", "pin": "1234"}, (PUBLIC,)),
    ("GET", "/api/branches", None, STAFF),
    ("POST", "/api/branches", {"code": "WEST", "name": "West"}, (ADMIN,)),
    ("POST", "/api/branches/MAIN/closures", {"date": "2026-12-24", "reason": "Eve"}, (ADMIN,)),
    ("GET", "/api/devices", None, STAFF),
    ("POST", "/api/devices", {"barcode": "DEV100", "kind": "hotspot", "model": "M",
                              "serial_number": "S100", "branch": "MAIN"}, (ADMIN,)),
    ("GET", "/api/devices/DEV001", None, STAFF),
    ("PATCH", "/api/devices/DEV005", {"notes": "scratched"}, (ADMIN,)),
    ("GET", "/api/patrons", None, STAFF),
    ("POST", "/api/patrons", {"card_number": "P100", "name": "Dee"}, STAFF),
    ("GET", "/api/patrons/P001", None, STAFF),
    ("PATCH", "/api/patrons/P001", {"phone": "555-0100"}, STAFF),
    ("GET", "/api/policies", None, STAFF),
    ("PUT", "/api/policies/tablet", {"loan_days": 7}, (ADMIN,)),
    ("POST", "/api/checkout", {"patron": "P002", "device": "DEV004"}, STAFF),
    ("POST", "/api/checkin", {"device": "DEV004"}, STAFF),
    ("POST", "/api/loans/{loan}/renew", None, STAFF),
    ("GET", "/api/loans", None, STAFF),
    ("POST", "/api/holds", {"patron": "P002", "kind": "tablet", "branch": "MAIN"}, STAFF),
    ("GET", "/api/holds", None, STAFF),
    ("DELETE", "/api/holds/{hold}", None, STAFF),
    ("GET", "/api/me", None, (RESIDENT,)),
    ("GET", "/api/me/loans", None, (RESIDENT,)),
    ("POST", "/api/me/loans/{loan}/renew", None, (RESIDENT,)),
    ("GET", "/api/me/holds", None, (RESIDENT,)),
    ("POST", "/api/me/holds", {"kind": "hotspot", "branch": "MAIN"}, (RESIDENT,)),
    ("DELETE", "/api/me/holds/{my_hold}", None, (RESIDENT,)),
    ("GET", "/api/events", None, (ADMIN,)),
    ("GET", "/api/staff", None, (ADMIN,)),
    ("POST", "/api/staff", {"username": "desk2", "role": "desk", "password": "long-enough"},
     (ADMIN,)),
    # Last: it ends the session it is sent with.
    ("POST", "/api/auth/logout", None, (RESIDENT, DESK, ADMIN)),
]  # fmt: skip
PROTECTED = [row for row in MATRIX if PUBLIC not in row[3]]
WITH_BODY = [row for row in PROTECTED if row[2] is not None]


@pytest.fixture
async def world(api, library) -> dict[str, Any]:
    """The library plus a loan and a hold of P001's, a hold of P003's and P001's resident token."""
    desk = api.headers["desk"]
    r = await api.client.post("/api/checkout", json={"patron": "P001", "device": "DEV001"},
                              headers=desk)  # fmt: skip
    assert r.status_code == 201, r.text
    loan = r.json()["loan"]["id"]
    r = await api.client.post(
        "/api/holds", json={"patron": "P001", "kind": "laptop", "branch": "MAIN"}, headers=desk
    )
    assert r.status_code == 201, r.text
    hold = r.json()["id"]
    r = await api.client.post(
        "/api/holds", json={"patron": "P003", "kind": "laptop", "branch": "MAIN"}, headers=desk
    )
    assert r.status_code == 201, r.text
    other_hold = r.json()["id"]
    resident = await api.login(card_number="P001", pin="1234")
    return {"loan": loan, "hold": other_hold, "my_hold": hold, "resident": resident}


def url(path: str, world: dict[str, Any]) -> str:
    return path.format(**world)


def assert_problem(response, status: int, code: str) -> None:
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert {"type", "title", "status", "detail", "code"} <= body.keys()
    assert (body["status"], body["code"]) == (status, code)


def served_routes(app) -> set[tuple[str, str]]:
    return {
        (method, route.path_format)
        for route in app.routes
        if route.path.startswith("/api/")  # pages are tested in tests/web
        for method in getattr(route, "methods", ())
        if method not in ("OPTIONS", "HEAD")
    }


def as_template(path: str) -> str:
    for value, name in [("{loan}", "{loan_id}"), ("{hold}", "{hold_id}"),
                        ("{my_hold}", "{hold_id}"), ("/MAIN/", "/{branch_code}/"),
                        ("DEV001", "{barcode}"), ("DEV005", "{barcode}"),
                        ("P001", "{card_number}"), ("/tablet", "/{kind}")]:  # fmt: skip
        path = path.replace(value, name)
    return path


async def test_every_route_in_the_matrix_is_served(app):
    listed = {(method, as_template(path)) for method, path, _, _ in MATRIX}
    assert listed <= served_routes(app)


async def test_routes_outside_the_matrix_still_refuse_anonymous_callers_and_residents(
    app, api, world
):
    """A safety net for endpoints added after this matrix was written (add them to MATRIX)."""
    listed = {(method, as_template(path)) for method, path, _, _ in MATRIX}
    wrong = []
    for method, template in sorted(served_routes(app) - listed):
        path = re.sub(r"\{[^}]+\}", "1", template)
        r = await api.client.request(method, path, json={})
        if r.status_code != 401:
            wrong.append(f"anonymous {method} {template}: {r.status_code}")
        if not template.startswith("/api/me"):
            r = await api.client.request(method, path, json={}, headers=world["resident"])
            if r.status_code != 403:
                wrong.append(f"resident {method} {template}: {r.status_code}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("role", [RESIDENT, DESK, ADMIN])
async def test_each_role_reaches_exactly_its_endpoints(api, world, role):
    headers = world["resident"] if role == RESIDENT else api.headers[role]
    wrong = []
    for method, path, body, allowed in MATRIX:
        r = await api.client.request(method, url(path, world), json=body, headers=headers)
        if role in allowed or PUBLIC in allowed:
            if not 200 <= r.status_code < 300:
                wrong.append(f"{method} {path}: expected success, got {r.status_code} {r.text}")
        elif r.status_code != 403 or r.json().get("code") != "forbidden":
            wrong.append(f"{method} {path}: expected 403 forbidden, got {r.status_code} {r.text}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer garbage",
        "Bearer " + "x" * 5000,
        "Basic YWRtaW46Y29ycmVjdC1ob3JzZQ==",
        "Token abc",
    ],
    ids=["none", "empty", "scheme-only", "blank", "garbage", "huge", "basic", "other-scheme"],
)
async def test_no_valid_token_means_401_on_every_protected_endpoint(api, world, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    for method, path, body, _ in PROTECTED:
        r = await api.client.request(method, url(path, world), json=body, headers=headers)
        assert_problem(r, 401, "unauthenticated")
        assert r.headers["www-authenticate"].startswith("Bearer")


async def test_public_endpoints_need_no_token(api, world):
    assert (await api.client.get("/api/health")).status_code == 200
    assert (await api.client.get("/schema/openapi.json")).status_code == 200
    r = await api.client.post("/api/auth/token", json={"username": "desk", "password": "nope"})
    assert_problem(r, 401, "invalid_credentials")


async def test_an_expired_staff_token_is_401_everywhere(api, world, clock):
    desk = api.headers["desk"]
    assert (await api.client.get("/api/devices", headers=desk)).status_code == 200
    clock.advance(hours=12, seconds=1)
    for method, path, body, _ in PROTECTED:
        r = await api.client.request(method, url(path, world), json=body, headers=desk)
        assert_problem(r, 401, "unauthenticated")
    assert (await api.client.get("/api/devices", headers=await api.login(
        username="desk", password="correct-horse"))).status_code == 200  # fmt: skip


async def test_a_resident_token_expires_after_an_hour(api, world, clock):
    resident = world["resident"]
    clock.advance(minutes=59)
    assert (await api.client.get("/api/me", headers=resident)).status_code == 200
    clock.advance(minutes=1)
    assert_problem(await api.client.get("/api/me", headers=resident), 401, "unauthenticated")


async def test_a_token_from_the_login_reply_is_accepted_with_any_case_of_bearer(api, world):
    token = api.headers["desk"]["Authorization"].split(" ", 1)[1]
    for scheme in ["Bearer", "bearer", "BEARER"]:
        r = await api.client.get("/api/devices", headers={"Authorization": f"{scheme} {token}"})
        assert r.status_code == 200, r.text


@pytest.mark.parametrize("body", ['{"broken": ', "[]", "null"], ids=["malformed", "array", "null"])
async def test_guards_run_before_the_body_is_read(api, world, body):
    """Anonymous callers get 401 and callers with the wrong role 403, however bad the body."""
    for method, path, _, allowed in WITH_BODY:
        target = url(path, world)
        json_type = {"content-type": "application/json"}
        r = await api.client.request(method, target, content=body, headers=json_type)
        assert_problem(r, 401, "unauthenticated")
        if ADMIN not in allowed:
            wrong = api.headers["admin"]
        elif DESK not in allowed:
            wrong = api.headers["desk"]
        else:
            wrong = world["resident"]
        r = await api.client.request(method, target, content=body, headers={**wrong, **json_type})
        assert_problem(r, 403, "forbidden")


async def test_an_admin_is_not_a_resident(api, world):
    for path in ["/api/me", "/api/me/loans", "/api/me/holds"]:
        assert_problem(await api.client.get(path, headers=api.headers["admin"]), 403, "forbidden")


async def test_a_resident_cannot_renew_another_patrons_loan(api, world):
    other = await api.login(card_number="P003", pin="1234")
    r = await api.client.post(f"/api/me/loans/{world['loan']}/renew", headers=other)
    assert_problem(r, 404, "loan_not_found")
    r = await api.client.get("/api/loans", headers=api.headers["desk"])
    assert [loan["renewals"] for loan in r.json()["items"]] == [0]
    r = await api.client.post(f"/api/me/loans/{world['loan']}/renew", headers=world["resident"])
    assert r.status_code == 200, r.text
    assert r.json()["loan"]["renewals"] == 1


async def test_a_resident_cannot_cancel_another_patrons_hold(api, world):
    r = await api.client.delete(f"/api/me/holds/{world['hold']}", headers=world["resident"])
    assert_problem(r, 404, "hold_not_found")
    r = await api.client.get("/api/holds", headers=api.headers["desk"])
    assert {h["id"]: h["status"] for h in r.json()["items"]}[world["hold"]] == "waiting"


async def test_a_resident_sees_only_their_own_loans_and_holds(api, world):
    other = await api.login(card_number="P003", pin="1234")
    assert (await api.client.get("/api/me/loans", headers=other)).json()["items"] == []
    holds = (await api.client.get("/api/me/holds", headers=other)).json()["items"]
    assert [h["id"] for h in holds] == [world["hold"]]
    mine = (await api.client.get("/api/me/loans", headers=world["resident"])).json()["items"]
    assert [loan["id"] for loan in mine] == [world["loan"]]


async def test_a_disabled_staff_account_can_no_longer_use_its_token(api, world):
    from lending.tables import StaffUser

    await StaffUser.update({StaffUser.active: False}).where(StaffUser.username == "desk")
    r = await api.client.get("/api/devices", headers=api.headers["desk"])
    assert_problem(r, 401, "unauthenticated")


# ---- login lockout ------------------------------------------------------------------------

STAFF_LOGIN = ({"username": "desk"}, "password", "correct-horse")
RESIDENT_LOGIN = ({"card_number": "P002"}, "pin", "1234")
ACCOUNTS = pytest.mark.parametrize(
    ("account", "secret", "right"), [STAFF_LOGIN, RESIDENT_LOGIN], ids=["staff", "resident"]
)


async def log_in(api, account: dict[str, str], secret: str, value: str):
    return await api.client.post("/api/auth/token", json={**account, secret: value})


@ACCOUNTS
async def test_five_failures_lock_the_account_even_against_the_right_secret(
    api, library, clock, account, secret, right
):
    for _ in range(5):
        assert_problem(await log_in(api, account, secret, "0000-wrong"), 401,
                       "invalid_credentials")  # fmt: skip
    assert_problem(await log_in(api, account, secret, right), 429, "too_many_attempts")
    clock.advance(minutes=14, seconds=59)
    assert_problem(await log_in(api, account, secret, right), 429, "too_many_attempts")
    assert_problem(await log_in(api, account, secret, "0000-wrong"), 429, "too_many_attempts")


@ACCOUNTS
async def test_the_lock_lifts_when_the_window_has_passed(
    api, library, clock, account, secret, right
):
    for _ in range(5):
        await log_in(api, account, secret, "0000-wrong")
    clock.advance(minutes=15)
    r = await log_in(api, account, secret, right)
    assert r.status_code == 200, r.text
    token = {"Authorization": f"Bearer {r.json()['access_token']}"}
    probe = "/api/me" if secret == "pin" else "/api/devices"
    assert (await api.client.get(probe, headers=token)).status_code == 200


@ACCOUNTS
async def test_a_successful_login_clears_the_failure_count(
    api, library, clock, account, secret, right
):
    for _ in range(4):
        await log_in(api, account, secret, "0000-wrong")
    assert (await log_in(api, account, secret, right)).status_code == 200
    for _ in range(4):
        assert_problem(await log_in(api, account, secret, "0000-wrong"), 401,
                       "invalid_credentials")  # fmt: skip
    assert (await log_in(api, account, secret, right)).status_code == 200


@ACCOUNTS
async def test_failures_count_within_a_sliding_window(api, library, clock, account, secret, right):
    for _ in range(3):
        await log_in(api, account, secret, "0000-wrong")
    clock.advance(minutes=10)
    for _ in range(2):
        await log_in(api, account, secret, "0000-wrong")
    assert_problem(await log_in(api, account, secret, right), 429, "too_many_attempts")
    clock.advance(minutes=5, seconds=1)  # the first three fall out of the window
    assert (await log_in(api, account, secret, right)).status_code == 200


async def test_a_locked_account_does_not_lock_anyone_else(api, library):
    for _ in range(5):
        await log_in(api, {"username": "desk"}, "password", "wrong-password")
    r = await log_in(api, {"username": "desk"}, "password", "correct-horse")
    assert_problem(r, 429, "too_many_attempts")
    assert (
        await log_in(api, {"username": "admin"}, "password", "correct-horse")
    ).status_code == 200
    assert (await log_in(api, {"card_number": "P001"}, "pin", "1234")).status_code == 200


async def test_a_scanned_card_number_counts_toward_the_same_lockout(api, library):
    for _ in range(5):
        await log_in(api, {"card_number": " P002\r\n"}, "pin", "9999")
    assert_problem(await log_in(api, {"card_number": "P002"}, "pin", "1234"), 429,
                   "too_many_attempts")  # fmt: skip
