"""Bad input on every endpoint: malformed JSON is 400, parseable-but-invalid is 422 naming the
field, unknown things are 404, odd query and path values never reach a 500, and a refused
request writes nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from lending.tables import Device, Event, Hold, Loan, Patron

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}
HUGE = "9" * 20  # does not fit a 64-bit integer
LONG = "x" * 10_000


@dataclass(frozen=True)
class Raw:
    """A body sent as is (not JSON-encoded)."""

    text: str | bytes


def assert_problem(response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    if code is not None:
        assert body["code"] == code, body
    return body


async def counts() -> dict[str, int]:
    return {
        "devices": await Device.count(),
        "patrons": await Patron.count(),
        "loans": await Loan.count(),
        "holds": await Hold.count(),
        "events": await Event.count(),
    }


@pytest.fixture
async def resident(api, library) -> dict[str, str]:
    return await api.login(card_number="P003", pin="1234")


async def send(api, resident, who: str, method: str, path: str, body: Any = None):
    headers = {"anonymous": {}, "resident": resident, **api.headers}[who]
    kw: dict[str, Any] = {}
    if isinstance(body, Raw):
        kw["content"] = body.text.encode() if isinstance(body.text, str) else body.text
        kw["headers"] = {**headers, "content-type": "application/json"}
    else:
        kw["headers"] = headers
        if body is not None:
            kw["json"] = body
    return await api.client.request(method, path, **kw)


# Every endpoint that takes a body: who may call it, and one valid body to spoil.
BODY_ENDPOINTS: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    "login": (
        "anonymous",
        "POST",
        "/api/auth/token",
        {"username": "admin", "password": "correct-horse"},
    ),
    "branch": ("admin", "POST", "/api/branches", {"code": "WEST", "name": "West"}),
    "closure": (
        "admin",
        "POST",
        "/api/branches/MAIN/closures",
        {"date": "2026-12-24", "reason": "Holiday"},
    ),
    "device": (
        "admin",
        "POST",
        "/api/devices",
        {
            "barcode": "DEV100",
            "kind": "hotspot",
            "model": "M",
            "serial_number": "S",
            "branch": "MAIN",
        },
    ),
    "device_patch": ("admin", "PATCH", "/api/devices/DEV001", {"notes": "ok"}),
    "patron": ("admin", "POST", "/api/patrons", {"card_number": "P100", "name": "Dee"}),
    "patron_patch": ("admin", "PATCH", "/api/patrons/P001", {"name": "Ana B."}),
    "policy": ("admin", "PUT", "/api/policies/hotspot", {"loan_days": 14}),
    "checkout": ("desk", "POST", "/api/checkout", {"patron": "P001", "device": "DEV001"}),
    "checkin": ("desk", "POST", "/api/checkin", {"device": "DEV001"}),
    "hold": ("desk", "POST", "/api/holds", {"patron": "P001", "kind": "hotspot", "branch": "MAIN"}),
    "my_hold": ("resident", "POST", "/api/me/holds", {"kind": "hotspot", "branch": "MAIN"}),
    "staff": (
        "admin",
        "POST",
        "/api/staff",
        {"username": "newdesk", "role": "desk", "password": "long-enough"},
    ),
}

MALFORMED = ['{"a": ', "{'a': 1}", "not json", "{}}", '{"a": 1,}', "\x00", b'{"a": "\xff"}']
NOT_OBJECTS = [[], "x", None, 42, True]


async def test_the_valid_bodies_spoiled_below_are_accepted_as_they_are(api, library, resident):
    for who, method, path, body in BODY_ENDPOINTS.values():
        r = await send(api, resident, who, method, path, body)
        assert r.status_code in (200, 201), f"{method} {path}: {r.text}"


@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS)
async def test_a_body_that_is_not_a_json_object_is_refused_and_writes_nothing(
    api, library, resident, endpoint
):
    who, method, path, _ = BODY_ENDPOINTS[endpoint]
    before = await counts()
    for text in MALFORMED:
        r = await send(api, resident, who, method, path, Raw(text))
        assert_problem(r, 400, "malformed_json")
    for value in NOT_OBJECTS:
        r = await send(api, resident, who, method, path, Raw(json.dumps(value)))
        problem = assert_problem(r, 422, "validation_error")
        assert [e["field"] for e in problem["errors"]] == ["body"], value
    assert await counts() == before


# (endpoint, changes to its valid body (None value = leave the field out), field named in errors)
FIELD_CASES = [
    ("branch", {"code": None}, "code"),
    ("branch", {"code": ""}, "code"),
    ("branch", {"code": 7}, "code"),
    ("branch", {"name": LONG}, "name"),
    ("branch", {"timezone": "Mars/Olympus"}, "timezone"),
    ("closure", {"date": None}, "date"),
    ("closure", {"date": "24/12/2026"}, "date"),
    ("closure", {"reason": LONG}, "reason"),
    ("device", {"barcode": None}, "barcode"),
    ("device", {"barcode": ""}, "barcode"),
    ("device", {"barcode": "   \r\n"}, "barcode"),
    ("device", {"barcode": LONG}, "barcode"),
    ("device", {"kind": "toaster"}, "kind"),
    ("device", {"kind": None}, "kind"),
    ("device", {"model": ""}, "model"),
    ("device", {"serial_number": 12}, "serial_number"),
    ("device", {"branch": "NOWHERE"}, "branch"),
    ("device", {"replacement_cost": -1}, "replacement_cost"),
    ("device", {"replacement_cost": "lots"}, "replacement_cost"),
    ("device", {"replacement_cost": "100"}, "replacement_cost"),
    ("device", {"imei": "123"}, "imei"),
    ("device", {"notes": LONG}, "notes"),
    ("device_patch", {"status": "on_fire"}, "status"),
    ("device_patch", {"status": 3}, "status"),
    ("device_patch", {"kind": ""}, "kind"),
    ("device_patch", {"notes": LONG}, "notes"),
    ("device_patch", {"replacement_cost": -5}, "replacement_cost"),
    ("patron", {"card_number": None}, "card_number"),
    ("patron", {"card_number": ""}, "card_number"),
    ("patron", {"name": None}, "name"),
    ("patron", {"name": LONG}, "name"),
    ("patron", {"pin": "12"}, "pin"),
    ("patron", {"pin": "abcd"}, "pin"),
    ("patron", {"pin": 1234}, "pin"),
    ("patron", {"language": "fr"}, "language"),
    ("patron", {"expires_on": "someday"}, "expires_on"),
    ("patron", {"blocked": "yes"}, "blocked"),
    ("patron", {"email": "not-an-email"}, "email"),
    ("patron_patch", {"name": ""}, "name"),
    ("patron_patch", {"pin": "1"}, "pin"),
    ("patron_patch", {"blocked": "no"}, "blocked"),
    ("patron_patch", {"blocked": "false"}, "blocked"),
    ("patron_patch", {"blocked": 0}, "blocked"),
    ("policy", {"loan_days": 0}, "loan_days"),
    ("policy", {"loan_days": -3}, "loan_days"),
    ("policy", {"loan_days": "14"}, "loan_days"),
    ("policy", {"auto_renew": "true"}, "auto_renew"),
    ("policy", {"loan_days": 1.5}, "loan_days"),
    ("policy", {"renewal_days": 0}, "renewal_days"),
    ("policy", {"max_renewals": -1}, "max_renewals"),
    ("policy", {"max_active_loans_per_patron": 0}, "max_active_loans_per_patron"),
    ("policy", {"max_active_loans_per_household": 0}, "max_active_loans_per_household"),
    ("policy", {"hold_pickup_days": 0}, "hold_pickup_days"),
    ("policy", {"reminder_days_before_due": -1}, "reminder_days_before_due"),
    ("policy", {"suspend_line_after_days": -1}, "suspend_line_after_days"),
    ("policy", {"lost_after_days": 0}, "lost_after_days"),
    ("policy", {"overdue_notice_days": [0]}, "overdue_notice_days"),
    ("policy", {"overdue_notice_days": "7"}, "overdue_notice_days"),
    ("policy", {"auto_renew": "sometimes"}, "auto_renew"),
    ("checkout", {"patron": None}, "patron"),
    ("checkout", {"device": None}, "device"),
    ("checkout", {"device": ""}, "device"),
    ("checkout", {"device": " \t"}, "device"),
    ("checkout", {"device": 1}, "device"),
    ("checkout", {"patron": LONG}, "patron"),
    ("checkin", {"device": None}, "device"),
    ("checkin", {"device": LONG}, "device"),
    ("checkin", {"device": ["DEV001"]}, "device"),
    ("hold", {"kind": "toaster"}, "kind"),
    ("hold", {"patron": ""}, "patron"),
    ("hold", {"branch": None}, "branch"),
    ("hold", {"branch": "NOWHERE"}, "branch"),
    ("my_hold", {"kind": None}, "kind"),
    ("my_hold", {"kind": "toaster"}, "kind"),
    ("my_hold", {"branch": LONG}, "branch"),
    ("staff", {"role": "root"}, "role"),
    ("staff", {"password": "short"}, "password"),
    ("staff", {"username": ""}, "username"),
    ("staff", {"username": None}, "username"),
    ("login", {"password": LONG}, "password"),
    ("login", {"username": 5}, "username"),
    ("checkout", {"patron": "P\x00"}, "patron"),
    ("branch", {"name": "a\x00b"}, "name"),
]
# An unknown field is named, whatever the endpoint.
FIELD_CASES += [(endpoint, {"surprise": 1}, "surprise") for endpoint in BODY_ENDPOINTS]


@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS)
async def test_an_invalid_field_is_422_naming_that_field_and_writes_nothing(
    api, library, resident, endpoint
):
    who, method, path, valid = BODY_ENDPOINTS[endpoint]
    before = await counts()
    failures = []
    for changes, field in [(c, f) for e, c, f in FIELD_CASES if e == endpoint]:
        body = {k: v for k, v in {**valid, **changes}.items() if v is not None}
        r = await send(api, resident, who, method, path, body)
        fields = [e.get("field", "") for e in r.json().get("errors", [])]
        if r.status_code != 422 or not any(f == field or f.startswith(field + "[") for f in fields):
            failures.append(f"{str(changes)[:80]}: {r.status_code} {r.text[:200]}")
            continue
        assert_problem(r, 422, "validation_error")
        assert all(isinstance(e["message"], str) and e["message"] for e in r.json()["errors"])
    assert not failures, "\n".join(failures)
    assert await counts() == before


async def test_a_login_with_neither_kind_of_credentials_is_422(api, library):
    for body in [{}, {"username": "admin"}, {"pin": "1234"}, {"username": "a", "pin": "1"}]:
        r = await api.client.post("/api/auth/token", json=body)
        assert_problem(r, 422, "validation_error")


# (who, method, path, body, status, code): unknown things, odd paths and paging values
GROUPS: dict[str, list[tuple[str, str, str, Any, int | tuple[int, ...], str | None]]] = {}
GROUPS["unknown things"] = [
    ("desk", "GET", "/api/devices/NOPE", None, 404, "device_not_found"),
    ("admin", "PATCH", "/api/devices/NOPE", {"notes": "x"}, 404, "device_not_found"),
    ("desk", "GET", "/api/patrons/NOPE", None, 404, "patron_not_found"),
    ("desk", "PATCH", "/api/patrons/NOPE", {"name": "X"}, 404, "patron_not_found"),
    (
        "admin",
        "POST",
        "/api/branches/NOPE/closures",
        {"date": "2026-12-24"},
        404,
        "branch_not_found",
    ),
    ("admin", "PUT", "/api/policies/toaster", {"loan_days": 3}, 422, "validation_error"),
    (
        "desk",
        "POST",
        "/api/checkout",
        {"patron": "NOPE", "device": "DEV001"},
        404,
        "patron_not_found",
    ),
    (
        "desk",
        "POST",
        "/api/checkout",
        {"patron": "P001", "device": "NOPE"},
        404,
        "device_not_found",
    ),
    ("desk", "POST", "/api/checkin", {"device": "NOPE"}, 404, "device_not_found"),
    ("desk", "POST", "/api/checkin", {"device": "DEV001"}, 409, "not_on_loan"),
    (
        "desk",
        "POST",
        "/api/holds",
        {"patron": "NOPE", "kind": "laptop", "branch": "MAIN"},
        404,
        "patron_not_found",
    ),
    ("desk", "POST", "/api/loans/424242/renew", None, 404, "loan_not_found"),
    ("desk", "DELETE", "/api/holds/424242", None, 404, "hold_not_found"),
    ("resident", "POST", "/api/me/loans/424242/renew", None, 404, "loan_not_found"),
    ("resident", "DELETE", "/api/me/holds/424242", None, 404, "hold_not_found"),
]
GROUPS["ids that do not fit 64 bits or are not ids"] = [
    ("desk", "POST", f"/api/loans/{HUGE}/renew", None, (404, 422), None),
    ("desk", "POST", f"/api/loans/{2**31}/renew", None, (404, 422), None),  # past `serial`
    ("desk", "DELETE", f"/api/holds/{2**40}", None, (404, 422), None),
    ("resident", "POST", f"/api/me/loans/{2**63 - 1}/renew", None, (404, 422), None),
    ("resident", "DELETE", f"/api/me/holds/{2**31}", None, (404, 422), None),
    ("desk", "POST", "/api/loans/0/renew", None, (404, 422), None),
    ("desk", "POST", "/api/loans/-1/renew", None, (404, 422), None),
    ("desk", "POST", "/api/loans/abc/renew", None, (404, 422), None),
    ("desk", "DELETE", f"/api/holds/{HUGE}", None, (404, 422), None),
    ("desk", "DELETE", "/api/holds/1.5", None, (404, 422), None),
    ("resident", "POST", f"/api/me/loans/{HUGE}/renew", None, (404, 422), None),
    ("resident", "DELETE", f"/api/me/holds/{HUGE}", None, (404, 422), None),
    ("desk", "GET", f"/api/devices/{LONG}", None, (404, 422), None),
    ("desk", "GET", f"/api/patrons/{LONG}", None, (404, 422), None),
    ("desk", "GET", "/api/devices/%20", None, (404, 422), None),
]
GROUPS["unknown routes and wrong methods"] = [
    ("admin", "GET", "/api/nothing-here", None, 404, "not_found"),
    ("anonymous", "GET", "/nothing-here", None, 404, "not_found"),
    ("admin", "GET", "/api/loans/1", None, (404, 405), None),
    ("admin", "DELETE", "/api/devices/DEV001", None, 405, "method_not_allowed"),
    ("admin", "GET", "/api/checkout", None, 405, "method_not_allowed"),
    ("admin", "PUT", "/api/branches", {"code": "X"}, 405, "method_not_allowed"),
    ("anonymous", "POST", "/api/health", None, 405, "method_not_allowed"),
    ("admin", "GET", "/api/auth/token", None, 405, "method_not_allowed"),
    ("admin", "PATCH", "/api/policies/hotspot", {"loan_days": 3}, 405, "method_not_allowed"),
]
LISTS = [
    ("admin", "/api/branches"),
    ("desk", "/api/devices"),
    ("desk", "/api/patrons"),
    ("desk", "/api/loans"),
    ("desk", "/api/holds"),
    ("admin", "/api/events"),
    ("resident", "/api/me/loans"),
    ("resident", "/api/me/holds"),
]
PAGING = [
    "limit=0",
    "limit=501",
    "limit=-1",
    "limit=abc",
    "offset=-1",
    "offset=x",
    f"offset={HUGE}",
    f"limit={HUGE}",
]
for who, path in LISTS:
    GROUPS[f"paging {path}"] = [
        (who, "GET", f"{path}?{query}", None, 422, "validation_error") for query in PAGING
    ]
GROUPS["text the databases cannot store"] = [
    ("desk", "GET", "/api/devices/DEV%00", None, (404, 422), None),
    ("desk", "GET", "/api/patrons/P%00", None, (404, 422), None),
    ("desk", "GET", "/api/devices?q=%00", None, 422, "validation_error"),
    ("desk", "GET", "/api/loans?patron=P%00", None, 422, "validation_error"),
    ("admin", "PUT", "/api/policies/hot%00spot", {"loan_days": 3}, 422, "validation_error"),
    ("admin", "POST", "/api/branches/MA%00IN/closures", {"date": "2026-12-24"}, (404, 422), None),
    (
        "anonymous",
        "POST",
        "/api/auth/token",
        {"username": "a\x00", "password": "x"},
        422,
        "validation_error",
    ),
]
GROUPS["unknown filter values"] = [
    ("desk", "GET", "/api/loans?status=sideways", None, 422, "validation_error"),
    ("desk", "GET", "/api/holds?status=sideways", None, 422, "validation_error"),
    ("desk", "GET", f"/api/devices?q={'x' * 300}", None, 422, "validation_error"),
]


@pytest.mark.parametrize("group", GROUPS)
async def test_odd_requests_get_the_contracts_problem_and_write_nothing(
    api, library, resident, group
):
    before = await counts()
    failures = []
    for who, method, path, body, status, code in GROUPS[group]:
        r = await send(api, resident, who, method, path, body)
        statuses = status if isinstance(status, tuple) else (status,)
        problem = r.json() if r.headers.get("content-type", "").endswith("json") else {}
        if (
            r.status_code not in statuses
            or not r.headers.get("content-type", "").startswith("application/problem+json")
            or not problem.keys() >= PROBLEM_KEYS
            or problem["status"] != r.status_code
            or (code is not None and problem["code"] != code)
            or (r.status_code == 422 and not all(e["field"] for e in problem.get("errors", [{}])))
        ):
            failures.append(f"{method} {path[:80]}: {r.status_code} {r.text[:200]}")
    assert not failures, "\n".join(failures)
    assert await counts() == before


async def test_a_list_accepts_the_edges_of_its_paging_range(api, library):
    for query in ["limit=1", "limit=500", "offset=0", "offset=1000000"]:
        r = await api.client.get(f"/api/devices?{query}", headers=api.headers["desk"])
        assert r.status_code == 200, r.text
        assert r.json()["total"] == 5


async def test_an_empty_body_is_rejected_without_a_500(api, library):
    for path in ["/api/checkout", "/api/checkin", "/api/devices"]:
        r = await api.client.post(
            path, content=b"", headers={**api.headers["admin"], "content-type": "application/json"}
        )
        assert r.status_code in (400, 422), r.text
        assert_problem(r, r.status_code)


async def test_a_body_over_the_size_limit_is_refused_as_a_problem(api, library):
    body = '{"device": "' + "x" * (2 * 1024 * 1024) + '"}'
    r = await api.client.post(
        "/api/checkin",
        content=body.encode(),
        headers={**api.headers["desk"], "content-type": "application/json"},
    )
    assert_problem(r, 413)


async def test_a_refused_checkout_leaves_no_loan_and_no_event(api, library):
    desk = api.headers["desk"]
    r = await api.client.post(
        "/api/checkout", json={"patron": "P001", "device": "DEV001"}, headers=desk
    )
    assert r.status_code == 201, r.text
    before = await counts()
    r = await api.client.post(
        "/api/checkout", json={"patron": "P002", "device": "DEV001"}, headers=desk
    )
    assert_problem(r, 409, "device_unavailable")
    assert await counts() == before


async def test_the_event_list_filters_by_actor_subject_and_action(api, library):
    admin = api.headers["admin"]
    r = await api.client.get("/api/events?actor=admin&action=device_created", headers=admin)
    assert r.status_code == 200, r.text
    assert {e["subject"] for e in r.json()["items"]} == {f"DEV00{i}" for i in range(1, 6)}
    r = await api.client.get("/api/events?actor=nobody", headers=admin)
    assert r.json() == {"items": [], "total": 0}
    r = await api.client.get("/api/events?subject=MAIN", headers=admin)
    assert [e["action"] for e in r.json()["items"]] == ["branch_created"]
