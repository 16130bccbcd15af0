"""Who may call what: every API operation and every page, for anonymous callers, residents,
desk staff and admins, answered as the permission table (lending/circulation/permissions.py)
says; tokens that are missing, garbage or expired, guards that run before the body is read,
and the login lockout."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from lending.circulation.permissions import Role, roles_for

PUBLIC, RESIDENT, DESK, ADMIN, PARTNER = "public", "resident", "desk", "admin", "partner"
ROLES = (RESIDENT, DESK, ADMIN, PARTNER)

# Routes anyone may use: logging in and out, the language switch, the start page, the health
# check, the OpenAPI document and the static files. Every other route names its action.
PUBLIC_ROUTES = {
    ("GET", "/api/health"),
    ("POST", "/api/auth/token"),
    ("GET", "/"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/my/login"),
    ("POST", "/my/login"),
    ("POST", "/logout"),
    ("POST", "/language"),
}
PUBLIC_PREFIXES = ("/schema", "/static/")

# (method, path, body): an API call that succeeds when sent once, in this order, by a role
# the permission table allows (who that is comes from the table, not from this list).
MATRIX: list[tuple[str, str, Any]] = [
    ("GET", "/api/health", None),
    ("POST", "/api/auth/token", {"card_number": "P002", "pin": "1234"}),
    ("GET", "/api/branches", None),
    ("POST", "/api/branches", {"code": "WEST", "name": "West"}),
    ("POST", "/api/branches/MAIN/closures", {"date": "2026-12-24", "reason": "Eve"}),
    ("GET", "/api/devices", None),
    ("POST", "/api/devices", {"barcode": "DEV100", "kind": "hotspot", "model": "M",
                              "serial_number": "S100", "branch": "MAIN"}),
    ("GET", "/api/devices/DEV001", None),
    ("PATCH", "/api/devices/DEV005", {"notes": "scratched"}),
    ("GET", "/api/patrons", None),
    ("POST", "/api/patrons", {"card_number": "P100", "name": "Dee"}),
    ("GET", "/api/patrons/P001", None),
    ("PATCH", "/api/patrons/P001", {"phone": "555-0100"}),
    ("GET", "/api/policies", None),
    ("PUT", "/api/policies/tablet", {"loan_days": 7}),
    ("POST", "/api/checkout", {"patron": "P002", "device": "DEV004"}),
    ("POST", "/api/checkin", {"device": "DEV004"}),
    ("POST", "/api/loans/{loan}/renew", None),
    ("GET", "/api/loans", None),
    ("POST", "/api/holds", {"patron": "P002", "kind": "tablet", "branch": "MAIN"}),
    ("GET", "/api/holds", None),
    ("DELETE", "/api/holds/{hold}", None),
    ("GET", "/api/me", None),
    ("GET", "/api/me/loans", None),
    ("POST", "/api/me/loans/{loan}/renew", None),
    ("GET", "/api/me/holds", None),
    ("POST", "/api/me/holds", {"kind": "tablet", "branch": "MAIN"}),
    ("DELETE", "/api/me/holds/{my_hold}", None),
    ("GET", "/api/events", None),
    ("POST", "/api/partners", {"code": "YMCA", "name": "YMCA"}),
    ("GET", "/api/partners", None),
    ("POST", "/api/programs", {"code": "HA2", "name": "Homes online", "starts_on": "2026-01-01",
                               "kinds": ["hotspot"], "partners": ["HA"]}),
    ("GET", "/api/programs", None),
    ("GET", "/api/programs/HA1", None),
    ("GET", "/api/programs/HA1/enrolments", None),
    ("GET", "/api/programs/HA1/sessions", None),
    ("GET", "/api/programs/HA1/report?month=2026-12", None),
    ("GET", "/api/staff", None),
    ("POST", "/api/staff", {"username": "desk2", "role": "desk", "password": "long-enough"}),
    # Last: it ends the session it is sent with.
    ("POST", "/api/auth/logout", None),
]  # fmt: skip


def is_public(method: str, template: str) -> bool:
    return (method, template) in PUBLIC_ROUTES or template.startswith(PUBLIC_PREFIXES)


def route_guards(app) -> dict[tuple[str, str], list[tuple[Any, ...]]]:
    """(method, path template) -> the actions of each permission guard on its handler (the
    controller's and the handler's own; a request must pass all of them)."""
    found: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            guards = [g.actions for g in handler.resolve_guards() if hasattr(g, "actions")]
            for method in handler.http_methods:
                if method not in ("OPTIONS", "HEAD"):
                    found[(method, route.path_format)] = guards
    return found


def allowed_roles(guards: list[tuple[Any, ...]]) -> set[str]:
    """The roles the permission table lets through every guard (each guard: any of its actions)."""
    allowed = {r.value for r in Role}
    for actions in guards:
        allowed &= {r.value for action in actions for r in roles_for(action)}
    return allowed


def as_template(path: str) -> str:
    for value, name in [("{loan}", "{loan_id}"), ("{hold}", "{hold_id}"),
                        ("{my_hold}", "{hold_id}"), ("/MAIN/", "/{branch_code}/"),
                        ("DEV001", "{barcode}"), ("DEV005", "{barcode}"),
                        ("P001", "{card_number}"), ("/tablet", "/{kind}"),
                        ("/HA1", "/{program}")]:  # fmt: skip
        path = path.replace(value, name)
    return path.split("?")[0]


def expected_roles(app, method: str, path: str) -> set[str]:
    template = as_template(path)
    if is_public(method, template):
        return {PUBLIC, *ROLES}
    return allowed_roles(route_guards(app)[(method, template)])


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
    r = await api.client.post("/api/partners", json={"code": "HA", "name": "Housing Authority"},
                              headers=api.headers["admin"])  # fmt: skip
    assert r.status_code == 201, r.text
    api.headers[PARTNER] = await api.staff(PARTNER, PARTNER, partner="HA")
    r = await api.client.post("/api/programs", headers=api.headers["admin"], json={
        "code": "HA1", "name": "Homes online", "starts_on": "2026-01-01", "kinds": ["hotspot"],
        "partners": ["HA"]})  # fmt: skip
    assert r.status_code == 201, r.text
    return {"loan": loan, "hold": other_hold, "my_hold": hold, "resident": resident}


def protected(app) -> list[tuple[str, str, Any]]:
    return [row for row in MATRIX if PUBLIC not in expected_roles(app, row[0], row[1])]


def url(path: str, world: dict[str, Any]) -> str:
    return path.format(**world)


def assert_problem(response, status: int, code: str) -> None:
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert {"type", "title", "status", "detail", "code"} <= body.keys()
    assert (body["status"], body["code"]) == (status, code)


def filled(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", template)


async def test_every_route_handler_is_mapped_to_an_action_or_listed_as_public(app):
    """A new endpoint or page without a permission fails here."""
    unmapped = [
        f"{method} {template}"
        for (method, template), guards in sorted(route_guards(app).items())
        if not guards and not is_public(method, template)
    ]
    assert not unmapped, "routes without a permission guard:\n" + "\n".join(unmapped)
    guarded_public = [
        f"{m} {t}" for (m, t), guards in route_guards(app).items() if guards and is_public(m, t)
    ]
    assert not guarded_public


async def test_every_route_in_the_matrix_is_served(app):
    listed = {(method, as_template(path)) for method, path, _ in MATRIX}
    assert listed <= set(route_guards(app))


async def test_every_api_operation_answers_each_role_as_the_permission_table_says(app, api, world):
    """Anonymous: 401. A role the table refuses: 403 `forbidden`. A role it allows: past the
    guard (whatever the service then says about the placeholder ids and empty bodies)."""
    wrong = []
    callers = {PUBLIC: {}, RESIDENT: world["resident"], DESK: api.headers["desk"],
               ADMIN: api.headers["admin"], PARTNER: api.headers[PARTNER]}  # fmt: skip
    # Logging out ends the tokens it is sent with, so it goes last.
    last = ("POST", "/api/auth/logout")
    for (method, template), guards in sorted(
        route_guards(app).items(), key=lambda item: (item[0] == last, item[0])
    ):
        if not template.startswith("/api/") or is_public(method, template):
            continue
        allowed = allowed_roles(guards)
        for who, headers in callers.items():
            r = await api.client.request(method, filled(template), json={}, headers=headers)
            code = r.json().get("code") if r.headers.get("content-type", "").startswith(
                "application/problem+json") else None  # fmt: skip
            if who == PUBLIC:
                ok = r.status_code == 401 and code == "unauthenticated"
            elif who in allowed:
                ok = r.status_code not in (401, 403) and r.status_code < 500
            else:
                ok = r.status_code == 403 and code == "forbidden"
            if not ok:
                wrong.append(f"{who} {method} {template} (allowed: {sorted(allowed)}): "
                             f"{r.status_code} {r.text[:200]}")  # fmt: skip
    assert not wrong, "\n".join(wrong)


async def page_client(app, role: str | None) -> httpx.AsyncClient:
    """A browser-like client logged in to the pages as `role` (None: nobody), with its CSRF
    cookie sent back as the header on every request."""
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    await client.get("/login")
    token = client.cookies.get("lending_csrf")
    client.headers["x-csrftoken"] = token
    if role == RESIDENT:
        r = await client.post("/my/login", data={"card_number": "P001", "pin": "1234"})
    elif role is not None:
        r = await client.post("/login", data={"username": role, "password": "correct-horse"})
    if role is not None:
        assert r.status_code == 303, r.text
    return client


async def test_every_page_answers_each_role_as_the_permission_table_says(app, api, world):
    """Anonymous: a redirect to the right login. A role the table refuses: the 403 page. A role
    it allows: the page, a redirect, or a form or lookup error (422, 404), never 401/403/5xx."""
    wrong = []
    pages = {
        key: guards
        for key, guards in sorted(route_guards(app).items())
        if not key[1].startswith("/api/") and not is_public(*key)
    }
    assert len(pages) > 50
    for who in (PUBLIC, RESIDENT, DESK, ADMIN, PARTNER):
        client = await page_client(app, None if who == PUBLIC else who)
        try:
            for (method, template), guards in pages.items():
                allowed = allowed_roles(guards)
                r = await client.request(method, filled(template))
                login = "/my/login" if allowed == {RESIDENT} else "/login"
                if who == PUBLIC:
                    location = r.headers.get("location", "")
                    ok = r.status_code == 303 and location.startswith(f"{login}?next=")
                elif who in allowed:
                    ok = r.status_code in (200, 303, 404, 422)
                else:
                    ok = r.status_code == 403 and "text/html" in r.headers["content-type"]
                if not ok:
                    wrong.append(f"{who} {method} {template} (allowed: {sorted(allowed)}): "
                                 f"{r.status_code} {r.headers.get('location', '')}")  # fmt: skip
        finally:
            await client.aclose()
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("role", [RESIDENT, DESK, ADMIN])
async def test_each_role_reaches_exactly_its_endpoints(app, api, world, role):
    headers = world["resident"] if role == RESIDENT else api.headers[role]
    wrong = []
    for method, path, body in MATRIX:
        r = await api.client.request(method, url(path, world), json=body, headers=headers)
        if role in expected_roles(app, method, path):
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
async def test_no_valid_token_means_401_on_every_protected_endpoint(app, api, world, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    for method, path, body in protected(app):
        r = await api.client.request(method, url(path, world), json=body, headers=headers)
        assert_problem(r, 401, "unauthenticated")
        assert r.headers["www-authenticate"].startswith("Bearer")


async def test_public_endpoints_need_no_token(api, world):
    assert (await api.client.get("/api/health")).status_code == 200
    assert (await api.client.get("/schema/openapi.json")).status_code == 200
    r = await api.client.post("/api/auth/token", json={"username": "desk", "password": "nope"})
    assert_problem(r, 401, "invalid_credentials")


async def test_an_expired_staff_token_is_401_everywhere(app, api, world, clock):
    desk = api.headers["desk"]
    assert (await api.client.get("/api/devices", headers=desk)).status_code == 200
    clock.advance(hours=12, seconds=1)
    for method, path, body in protected(app):
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
async def test_guards_run_before_the_body_is_read(app, api, world, body):
    """Anonymous callers get 401 and callers with the wrong role 403, however bad the body."""
    for method, path, given in protected(app):
        if given is None:
            continue
        allowed = expected_roles(app, method, path)
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
