"""Security headers on every kind of response, HSTS only over HTTPS, the API docs' own policy,
and the CSRF cookie Secure exactly when the session cookie is (issue 10, points 6 and 7)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from lending.app import create_app
from lending.settings import Settings

HTTPS = "https://testserver"


def directives(policy: str) -> dict[str, list[str]]:
    out = {}
    for part in policy.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def assert_protected(response: Any) -> dict[str, list[str]]:
    """The headers every response carries; returns the CSP's directives."""
    headers = response.headers
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert len(headers.get_list("content-security-policy")) == 1
    policy = directives(headers["content-security-policy"])
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    return policy


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", "/api/health", 200),  # an API response
        ("GET", "/api/devices", 200),
        ("GET", "/login", 200),  # a page
        ("GET", "/static/app.css", 200),  # a static file
        ("GET", "/no/such/page", 404),  # the router's own 404
        ("GET", "/api/no-such-thing", 404),
        ("DELETE", "/api/health", 405),  # the router's own 405
        ("GET", "/api/devices/NOPE", 404),  # a problem+json refusal
        ("POST", "/api/devices", 400),  # malformed JSON
        ("GET", "/admin", 303),  # a redirect to the login
    ],
)
async def test_every_kind_of_response_carries_the_security_headers(
    api, method: str, url: str, status: int
):
    kwargs: dict[str, Any] = {"content": b"{not json"} if method == "POST" else {}
    r = await api.as_(api.headers["admin"], method, url, **kwargs)
    assert r.status_code == status, r.text
    policy = assert_protected(r)
    assert policy["script-src"] == ["'self'"]  # no inline script on the app's own responses
    assert "'unsafe-inline'" not in policy["style-src"]
    assert "strict-transport-security" not in r.headers  # plain http


async def test_hsts_is_sent_over_https_only(client):
    over_https = await client.get(HTTPS + "/login")
    assert_protected(over_https)
    hsts = over_https.headers["strict-transport-security"]
    assert re.fullmatch(r"max-age=\d+; includeSubDomains", hsts)
    assert int(hsts.split("=")[1].split(";")[0]) >= 180 * 86400
    over_http = await client.get("/login")
    assert "strict-transport-security" not in over_http.headers


async def test_hsts_is_sent_when_the_site_is_configured_as_https_only(db_url, clock):
    import httpx

    settings = Settings(database_url=db_url, secret_key="test-secret", secure_cookies=True)
    transport = httpx.ASGITransport(app=create_app(settings, clock=clock))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        r = await c.get("/static/app.css")
    assert r.headers["strict-transport-security"].startswith("max-age=")


async def test_the_api_docs_render_with_their_own_policy_for_their_scripts(client):
    r = await client.get("/schema")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    policy = assert_protected(r)
    scripts = policy["script-src"]
    # Every external script the page loads comes from an origin the policy names...
    for src in re.findall(r'<script src="([^"]+)"', r.text):
        allowed = [o.rstrip("/") + "/" for o in scripts if "://" in o]
        assert any(src.startswith(prefix) for prefix in allowed), src
    # ...and its one inline script (Swagger UI's start-up) carries the nonce the policy allows.
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", r.text)
    assert len(inline) == 1
    nonce = re.search(r"nonce='([^']+)'", inline[0]).group(1)
    assert f"'nonce-{nonce}'" in scripts
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert "https://cdn.jsdelivr.net" not in scripts  # that release's folder, not the whole CDN
    # A new nonce for each response.
    again = await client.get("/schema")
    assert f"'nonce-{nonce}'" not in again.headers["content-security-policy"]
    assert (await client.get("/schema/openapi.json")).status_code == 200


async def test_csrf_cookie_is_secure_exactly_when_the_session_cookie_is(client, api):
    def cookies(response: Any) -> dict[str, str]:
        return {c.split("=", 1)[0]: c for c in response.headers.get_list("set-cookie")}

    async def log_in(base: str, **headers: str) -> tuple[str, str]:
        """The CSRF cookie of the login page and the session cookie of logging in, as set."""
        client.cookies.clear()
        page = await client.get(base + "/login", headers=headers)
        csrf = cookies(page)["lending_csrf"]
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
        client.cookies.clear()  # sent by hand: a client keeps Secure cookies off plain http
        r = await client.post(
            base + "/login",
            data={"username": "admin", "password": "correct-horse", "_csrf_token": token},
            headers={**headers, "cookie": csrf.split(";")[0]},
        )
        assert r.status_code == 303, r.text
        return csrf, cookies(r)["lending_session"]

    for csrf, session in [
        await log_in(HTTPS),
        await log_in("http://testserver", **{"x-forwarded-proto": "https"}),
    ]:
        assert "; secure" in session.lower()
        assert "; secure" in csrf.lower()
    csrf, session = await log_in("http://testserver")
    assert "secure" not in session.lower()
    assert "secure" not in csrf.lower()
