"""Hostile values in API bodies, on both databases.

First the cases the fuzzing of issue 10 found or the brief names (JSON nested 1,000 deep on the
login, control characters and numbers too large for any column in a body), then a fuzz test:
every operation of the OpenAPI document that takes a JSON body gets, in each of its fields and
as the whole body, NUL and other control characters, 10 kB of text, lone surrogates, deep
nesting and numbers past 64 bits or past a double, from every role. Never a 5xx, always a 4xx
problem, and nothing stored.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

ANONYMOUS, RESIDENT, DESK, ADMIN = "anonymous", "resident", "desk", "admin"
MAX_DEPTH = 32  # lending.http.strict: no request body is more than 3 levels deep


def nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


# JSON texts: each is refused as a field's value and as a whole body.
HOSTILE = {
    "nul": json.dumps("DEV001\x00"),
    "escape": json.dumps("P001\x1b[2J"),
    "C1 control": json.dumps("a\x85b"),
    "10 kB": json.dumps("x" * 10_240),
    "lone surrogate": '"a\\ud800b"',
    "1,000 deep": nested(1_000),
    "33 deep": nested(MAX_DEPTH + 1),
    "10**400": "1" + "0" * 400,
    "-2**64": str(-(2**64)),
    "1e400": "1e400",
}


async def table_contents() -> dict[str, Any]:
    from lending.tables import TABLES

    return {t._meta.tablename: await t.select().order_by(t.id) for t in TABLES}


def assert_refused(r, *statuses: int) -> dict[str, Any]:
    assert r.status_code in statuses, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


async def post_raw(api, path: str, text: str, headers: dict[str, str] | None = None, method="POST"):
    return await api.client.request(
        method,
        path,
        content=text.encode(),
        headers={**(headers or {}), "content-type": "application/json"},
    )


# ---- the cases issue 10 lists --------------------------------------------------------------


@pytest.mark.parametrize("depth", [1_000, 100_000])
async def test_json_nested_a_thousand_deep_on_the_login_is_a_422_not_a_500(api, library, depth):
    before = await table_contents()
    for body in [nested(depth), '{"username": ' + nested(depth, '"admin"') + "}"]:
        problem = assert_refused(await post_raw(api, "/api/auth/token", body), 422)
        assert problem["code"] == "validation_error"
        assert "nested more than 32 levels deep" in problem["detail"]
    assert await table_contents() == before


@pytest.mark.parametrize(
    "value", ["Ma\x1bin", "Ma\x07in", "Ma\x85in", "Main\x7f"], ids=["escape", "bell", "C1", "del"]
)
async def test_control_characters_in_a_body_are_refused_naming_the_field(api, library, value):
    before = await table_contents()
    r = await api.client.post(
        "/api/branches", json={"code": "WEST", "name": value}, headers=api.headers["admin"]
    )
    problem = assert_refused(r, 422)
    assert problem["errors"] == [
        {"field": "name", "message": "must not contain control characters"}
    ]
    assert await table_contents() == before
    # Line breaks and tabs are still text (a note may run to several lines).
    r = await api.client.patch(
        "/api/devices/DEV002", json={"notes": "one\r\n\ttwo"}, headers=api.headers["admin"]
    )
    assert r.status_code == 200, r.text
    assert r.json()["notes"] == "one\r\n\ttwo"


async def test_a_number_beyond_64_bits_is_refused_naming_the_field(api, library):
    before = await table_contents()
    body = '{"patron": "P001", "device": "DEV001", "extra": [' + "9" * 30 + "]}"
    problem = assert_refused(await post_raw(api, "/api/checkout", body, api.headers["desk"]), 422)
    assert problem["errors"] == [{"field": "extra[0]", "message": "number out of range"}]
    assert await table_contents() == before


# ---- the fuzz test -------------------------------------------------------------------------

PATH_VALUES = {"barcode": "DEV002", "card_number": "P002", "branch_code": "MAIN",
               "kind": "hotspot", "username": "desk", "name": "due_soon"}  # fmt: skip
PLACEHOLDER = {"string": '"x"', "integer": "1", "number": "1", "boolean": "true",
               "array": "[]", "object": "{}"}  # fmt: skip


def json_operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    """(method, path, {property: placeholder JSON}) of every operation with a JSON body."""
    schemas = document.get("components", {}).get("schemas", {})

    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
        for choice in schema.get("oneOf", schema.get("anyOf", [])):
            if "$ref" in choice or choice.get("type") == "object":
                return resolve(choice)
        return schema

    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            schema = resolve(content["application/json"].get("schema", {}))
            properties = {
                name: placeholder(resolve(prop))
                for name, prop in schema.get("properties", {}).items()
            }
            url = re.sub(r"\{([^}]+)\}", lambda m: PATH_VALUES.get(m.group(1), "1"), path)
            found.append((method.upper(), url, properties))
    return found


def placeholder(schema: dict[str, Any]) -> str:
    kinds = schema.get("type", "string")
    kinds = [k for k in kinds if k != "null"] if isinstance(kinds, list) else [kinds]
    return PLACEHOLDER.get(kinds[0] if kinds else "string", '"x"')


def body_of(properties: dict[str, str]) -> str:
    return "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in properties.items()) + "}"


@pytest.fixture
async def callers(api, library) -> dict[str, dict[str, str]]:
    r = await api.client.post("/api/checkout", json={"patron": "P001", "device": "DEV001"},
                              headers=api.headers["desk"])  # fmt: skip
    assert r.status_code == 201, r.text
    resident = await api.login(card_number="P001", pin="1234")
    return {ANONYMOUS: {}, RESIDENT: resident, DESK: api.headers["desk"],
            ADMIN: api.headers["admin"]}  # fmt: skip


@pytest.mark.parametrize("who", [ANONYMOUS, RESIDENT, DESK, ADMIN])
async def test_hostile_values_in_any_api_body_never_5xx_and_are_stored_nowhere(api, callers, who):
    document = (await api.client.get("/schema/openapi.json")).json()
    operations = json_operations(document)
    assert len(operations) >= 30, [op[:2] for op in operations]
    headers = callers[who]
    failures = []
    before = await table_contents()
    for method, url, properties in operations:
        tries = [(label, value) for label, value in HOSTILE.items()]
        r = await post_raw(api, url, HOSTILE["nul"], headers, method)
        if r.status_code not in (401, 403):  # past the guards: each field, one at a time
            tries += [
                (f"{name}={label}", body_of({**properties, name: value}))
                for name in properties
                for label, value in HOSTILE.items()
            ]
        for label, body in tries:
            r = await post_raw(api, url, body, headers, method)
            problem = r.headers.get("content-type", "").startswith("application/problem+json")
            if not (400 <= r.status_code < 500 and problem):
                failures.append(f"{who} {method} {url} {label}: {r.status_code} {r.text[:120]}")
    if await table_contents() != before:
        failures.append(f"{who}: a hostile body changed the database")
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures)
