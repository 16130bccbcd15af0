"""The security headers as Chromium enforces them (issue 10, point 7): a page of the same site
cannot frame the admin console, the main pages break no rule of their Content-Security-Policy
(Chromium reports each violation), and the API docs run Swagger UI under their own policy."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tarfile
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from browser_accounts import log_in_staff
from playwright.sync_api import expect

# The Swagger UI that Litestar's SwaggerRenderPlugin loads from its CDN, here from the npm
# registry (pinned like axe-core in conftest.py) and served to the browser in the CDN's place.
SWAGGER_VERSION = "5.18.2"
SWAGGER_INTEGRITY = "sha512-J+y4mCw/zXh1FOj5wGJvnAajq6XgHOyywsa9yITmwxIlJbMqITq3gYRZHaeqLVH/eV/HOPphE6NjF+nbSNC5Zw=="
SWAGGER_URL = f"https://registry.npmjs.org/swagger-ui-dist/-/swagger-ui-dist-{SWAGGER_VERSION}.tgz"
SWAGGER_CDN = f"https://cdn.jsdelivr.net/npm/swagger-ui-dist@{SWAGGER_VERSION}/"
SWAGGER_FILES = ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css")

WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} on ${location.pathname}`);
});
"""


def watch_csp(page: Any) -> list[str]:
    """Collects every CSP violation Chromium reports on this page (console and DOM events)."""
    seen: list[str] = []
    page.add_init_script(WATCH)
    page.on(
        "console",
        lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return seen


def violations(page: Any, console: list[str]) -> list[str]:
    return console + page.evaluate("() => window.__csp || []")


def test_a_page_of_the_same_site_cannot_frame_the_admin_console(page, server):
    log_in_staff(page, server)
    console = watch_csp(page)
    # A page at another path of the same origin, without our headers, that frames /admin
    # (next to a frame of a page without our headers, which loads: the test itself is sound).
    framing = (
        "<!doctype html><title>framing</title>"
        "<iframe id='admin' src='/admin'></iframe><iframe id='plain' src='/plain-page'></iframe>"
    )
    page.route(
        server.base_url + "/framing-test",
        lambda route: route.fulfill(status=200, content_type="text/html", body=framing),
    )
    page.route(
        server.base_url + "/plain-page",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<p>plain</p>"),
    )
    with page.expect_console_message(lambda m: "frame-ancestors" in m.text):
        page.goto(server.base_url + "/framing-test")
    expect(page.frame_locator("#plain").locator("p")).to_have_text("plain")
    admin_frame = page.frame("admin")
    assert admin_frame.url.startswith("chrome-error:"), admin_frame.url  # blocked: no page in it
    assert "Log out" not in page.frame_locator("#admin").locator("body").inner_text()
    assert any("frame-ancestors" in text for text in console), console


MAIN_PAGES = [
    "/admin",
    "/admin/devices",
    "/admin/patrons",
    "/admin/staff",
    "/admin/reports",
    "/admin/labels",
    "/admin/imports",
    "/desk",
]


def test_the_main_pages_break_no_rule_of_their_content_security_policy(
    page, server, check_accessibility, review_screenshot
):
    console = watch_csp(page)
    for path in ("/login", "/my/login"):
        page.goto(server.base_url + path)
        assert violations(page, console) == [], path
    log_in_staff(page, server)
    for path in MAIN_PAGES:
        response = page.goto(server.base_url + path)
        assert response.status == 200, path
        page.wait_for_load_state("load")
        assert violations(page, console) == [], path
        # The page's own stylesheets apply (a blocked stylesheet leaves the browser's defaults).
        assert page.evaluate("() => [...document.styleSheets].every((s) => s.cssRules.length)")
    check_accessibility(page)
    review_screenshot(page, "desk-under-csp")
    page.goto(server.base_url + "/admin")
    check_accessibility(page)
    review_screenshot(page, "admin-under-csp")


def test_the_checkout_receipt_keeps_its_inline_stylesheet_under_the_policy(page, server):
    tag = f"CSP{server.kind[0].upper()}"
    server.api(
        "POST",
        "/api/devices",
        expect=201,
        json={
            "barcode": tag,
            "kind": "hotspot",
            "model": "M",
            "serial_number": tag,
            "branch": "MAIN",
        },
    )
    server.api(
        "POST",
        "/api/patrons",
        expect=201,
        json={
            "card_number": tag,
            "name": "Rita Receipt",
            "branch": "MAIN",
            "expires_on": "2099-01-01",
        },
    )
    loan = server.api(
        "POST", "/api/checkout", expect=201, json={"patron": tag, "device": tag}
    ).json()["loan"]
    console = watch_csp(page)
    log_in_staff(page, server)
    for url in (f"/desk/receipt/{loan['id']}", f"/api/loans/{loan['id']}/receipt.html"):
        if url.startswith("/api/"):
            page.set_extra_http_headers(server.admin)
        page.goto(server.base_url + url)
        assert violations(page, console) == [], url
        # The receipt's own inline stylesheet applies: its title is centred.
        align = page.evaluate("() => getComputedStyle(document.querySelector('main h1')).textAlign")
        assert align == "center", url


def _swagger_files() -> dict[str, bytes]:
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "lending"
    folder = cache / f"swagger-ui-dist-{SWAGGER_VERSION}"
    if not all((folder / name).exists() for name in SWAGGER_FILES):
        try:
            with urllib.request.urlopen(SWAGGER_URL, timeout=60) as reply:
                tarball = reply.read()
        except OSError as exc:
            if os.environ.get("LENDING_CI") == "1":
                pytest.fail(f"cannot download swagger-ui-dist from the npm registry: {exc}")
            pytest.skip(f"cannot download swagger-ui-dist from the npm registry: {exc}")
        algorithm, _, expected = SWAGGER_INTEGRITY.partition("-")
        digest = base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode()
        assert digest == expected, "swagger-ui-dist tarball does not match its pinned integrity"
        folder.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(tarball)) as archive:
            for name in SWAGGER_FILES:
                (folder / name).write_bytes(archive.extractfile(f"package/{name}").read())
    return {name: (folder / name).read_bytes() for name in SWAGGER_FILES}


def test_the_api_docs_run_swagger_ui_under_their_own_policy(page, server):
    files = _swagger_files()

    def from_cdn(route: Any) -> None:
        name = route.request.url.removeprefix(SWAGGER_CDN)
        kind = "text/css" if name.endswith(".css") else "application/javascript"
        route.fulfill(
            status=200,
            content_type=kind,
            body=files[name],
            headers={"access-control-allow-origin": "*"},
        )

    page.route(SWAGGER_CDN + "*", from_cdn)
    page.route("https://cdn.jsdelivr.net/gh/**", lambda route: route.fulfill(status=404))
    console = watch_csp(page)
    # Swagger UI renders the whole OpenAPI document from a script that runs while the page
    # loads: slow on a busy machine, so wait for the title rather than for "load".
    response = page.goto(server.base_url + "/schema", wait_until="commit")
    assert response.status == 200
    title = page.locator(".swagger-ui .info .title")
    expect(title).to_contain_text("lending", timeout=60_000)
    expect(page.locator(".opblock-tag-section").first).to_be_visible()
    # Swagger UI's widgets work: open the logout operation.
    page.locator(".opblock-summary-path", has_text="/api/auth/logout").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    assert violations(page, console) == []
