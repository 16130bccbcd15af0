"""The OpenAPI document lists every endpoint the app serves, with its error responses."""

from __future__ import annotations

from typing import Any

import pytest

PUBLIC_OPERATIONS = {("GET", "/api/health"), ("POST", "/api/auth/token")}
ANY_ACCOUNT_OPERATIONS = {("POST", "/api/auth/logout")}  # 401 without a token, never 403
METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture
async def document(client) -> dict[str, Any]:
    r = await client.get("/schema/openapi.json")
    assert r.status_code == 200, r.text
    return r.json()


def operations(document: dict[str, Any]):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation


def served_routes(app) -> set[tuple[str, str]]:
    return {
        (method, route.path_format)
        for route in app.routes
        if route.path.startswith("/api/")  # pages are tested in tests/web
        for method in getattr(route, "methods", ())
        if method not in ("OPTIONS", "HEAD")
    }


async def test_the_document_is_openapi_3_1_without_a_token(document):
    assert document["openapi"].startswith("3.1")
    assert document["info"]["title"] == "lending"
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


async def test_every_route_the_app_serves_is_documented_and_nothing_else(app, document):
    documented = {(method, path) for method, path, _ in operations(document)}
    assert documented == served_routes(app)


async def test_every_endpoint_of_the_contract_is_documented(document):
    documented = {(method, path) for method, path, _ in operations(document)}
    contract = {
        ("GET", "/api/health"), ("POST", "/api/auth/token"),
        ("POST", "/api/branches"), ("GET", "/api/branches"),
        ("POST", "/api/branches/{branch_code}/closures"),
        ("POST", "/api/devices"), ("GET", "/api/devices"), ("GET", "/api/devices/{barcode}"),
        ("PATCH", "/api/devices/{barcode}"),
        ("POST", "/api/patrons"), ("GET", "/api/patrons/{card_number}"),
        ("PATCH", "/api/patrons/{card_number}"),
        ("GET", "/api/policies"), ("PUT", "/api/policies/{kind}"),
        ("POST", "/api/checkout"), ("POST", "/api/checkin"),
        ("POST", "/api/loans/{loan_id}/renew"), ("GET", "/api/loans"),
        ("POST", "/api/holds"), ("GET", "/api/holds"), ("DELETE", "/api/holds/{hold_id}"),
        ("GET", "/api/me"), ("GET", "/api/me/loans"), ("POST", "/api/me/loans/{loan_id}/renew"),
        ("GET", "/api/me/holds"), ("POST", "/api/me/holds"),
        ("DELETE", "/api/me/holds/{hold_id}"),
        ("GET", "/api/events"),
    }  # fmt: skip
    assert contract <= documented


async def test_every_error_response_is_documented_as_problem_json(document):
    problem = document["components"]["schemas"]["ProblemOut"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}
    wrong = []
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                content = response.get("content", {})
                schema = content.get("application/problem+json", {}).get("schema", {})
                if list(content) != ["application/problem+json"] or not schema.get(
                    "$ref", ""
                ).endswith("/ProblemOut"):
                    wrong.append(f"{method} {path} {status}: {content}")
    assert not wrong, "\n".join(wrong)


async def test_each_operation_declares_the_errors_it_can_answer(document):
    missing = []
    for method, path, operation in operations(document):
        declared = {int(s) for s in operation["responses"] if s.startswith("4")}
        expected = {400}
        if (method, path) in ANY_ACCOUNT_OPERATIONS:
            expected.add(401)
        elif (method, path) not in PUBLIC_OPERATIONS:
            expected |= {401, 403}
        if "requestBody" in operation:
            expected |= {400, 422}
        if any(p["in"] == "query" for p in operation.get("parameters", [])):
            expected.add(422)  # paging and filters out of range
        path_params = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        if path_params:
            expected.add(422)  # an id or code that cannot exist
        if path_params - {"kind"}:
            expected.add(404)  # no such thing (an unknown device kind is a 422)
        if (method, path) == ("POST", "/api/auth/token"):
            expected |= {401, 429}
        if (method, path) == ("GET", "/api/health"):
            expected = set()
        if not expected <= declared:
            missing.append(f"{method} {path}: declares {sorted(declared)}, lacks "
                           f"{sorted(expected - declared)}")  # fmt: skip
    assert not missing, "\n".join(missing)


async def test_refusals_are_documented_where_the_contract_has_them(document):
    paths = document["paths"]
    for method, path in [
        ("post", "/api/checkout"), ("post", "/api/checkin"), ("post", "/api/loans/{loan_id}/renew"),
        ("post", "/api/me/loans/{loan_id}/renew"), ("post", "/api/holds"),
        ("post", "/api/me/holds"), ("post", "/api/branches"), ("post", "/api/devices"),
        ("patch", "/api/devices/{barcode}"), ("post", "/api/patrons"),
    ]:  # fmt: skip
        assert "409" in paths[path][method]["responses"], (method, path)
    for method, path in [
        ("post", "/api/checkout"), ("post", "/api/checkin"), ("get", "/api/devices/{barcode}"),
        ("get", "/api/patrons/{card_number}"), ("delete", "/api/holds/{hold_id}"),
    ]:  # fmt: skip
        assert "404" in paths[path][method]["responses"], (method, path)


async def test_public_operations_need_no_token_and_the_rest_need_a_bearer_token(document):
    assert document["security"] == [{"bearer": []}]
    for method, path, operation in operations(document):
        if (method, path) in PUBLIC_OPERATIONS:
            # `[{}]`: no token needed (Litestar drops an empty list, and the global one applies)
            assert operation.get("security") == [{}], (method, path)
        else:
            assert operation.get("security", document["security"]) == [{"bearer": []}]


async def test_paging_parameters_document_their_range(document):
    for method, path, operation in operations(document):
        params = {p["name"]: p for p in operation.get("parameters", [])}
        if "limit" in params:
            schema = params["limit"]["schema"]
            assert (schema["minimum"], schema["maximum"], schema["default"]) == (1, 500, 50)
            assert params["offset"]["schema"]["minimum"] == 0
        for name in params.keys() & {"loan_id", "hold_id"}:
            schema = params[name]["schema"]
            assert (schema["minimum"], schema["maximum"]) == (1, 2**31 - 1), (method, path)


async def test_the_document_is_the_same_on_every_request(client, document):
    again = (await client.get("/schema/openapi.json")).json()
    assert again == document
