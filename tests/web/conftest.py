"""Browser tests: Debian's Chromium driven by Playwright against a real `lending serve` process.

- Chromium comes from the system (`apt-get install chromium`; `.ci/run` installs it). Without it
  these tests skip with the reason, unless LENDING_CI=1, where they fail.
- axe-core is downloaded once from the npm registry (version and integrity pinned below) into
  ~/.cache/lending and injected into each page by `check_accessibility`.
- A failing test saves a screenshot to test-artifacts/screenshots/; `review_screenshot` saves one
  per main page to test-artifacts/pages/ for people to look at.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import os
import re
import shutil
import tarfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_accounts import DESK
from live_server import LiveServer, running_server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("LENDING_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_VERSION = "4.10.3"
AXE_INTEGRITY = (
    "sha512-Xm7bpRXnDSX2YE2YFfBk2FnF0ep6tmG7xPh8iHee8MIcrgq762Nkce856dYtJYLkuIoYZvGfTs/"
    "PbZhideTcEg=="
)
AXE_URL = f"https://registry.npmjs.org/axe-core/-/axe-core-{AXE_VERSION}.tgz"
PHONE = {"width": 360, "height": 740}


def _required() -> bool:
    return os.environ.get("LENDING_CI") == "1"


def _missing(reason: str) -> None:
    if _required():
        pytest.fail(f"{reason} (LENDING_CI=1: browser tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _missing(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def server(request, tmp_path_factory) -> Iterator[LiveServer]:
    """One server per database kind for the whole browser suite, with a desk account."""
    kind = request.param
    with running_server(kind, tmp_path_factory.mktemp(f"web-{kind}"), workers=1) as live:
        live.api(
            "POST",
            "/api/staff",
            expect=201,
            json={"username": DESK[0], "password": DESK[1], "role": "desk"},
        )
        yield live


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Playwright's sync API leaves its event loop marked as running in this thread while the
    session-scoped browser is open; pytest-asyncio then refuses to run async tests (the
    in-process *_forms.py files) after a browser test. Hide that loop while an async test runs."""
    loop = asyncio._get_running_loop()
    hide = loop is not None and item.get_closest_marker("asyncio") is not None
    if hide:
        asyncio._set_running_loop(None)
    try:
        return (yield)
    finally:
        if hide:
            asyncio._set_running_loop(loop)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


_REPORTS = pytest.StashKey[dict]()


def _new_page(browser: Any, request: Any, **context_args: Any) -> Iterator[Any]:
    context = browser.new_context(**context_args)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        report = request.node.stash.get(_REPORTS, {}).get("call")
        if report is not None and report.failed:
            folder = ARTIFACTS / "screenshots"
            folder.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
            try:
                page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
            except Exception as exc:  # the page may be gone; the failure itself matters more
                print(f"could not save a screenshot: {exc}")
        context.close()


@pytest.fixture
def page(browser, request) -> Iterator[Any]:
    """A fresh browser context (no cookies) on a desktop-sized window."""
    yield from _new_page(browser, request, viewport={"width": 1280, "height": 900})


@pytest.fixture
def phone(browser, request) -> Iterator[Any]:
    """A fresh browser context on a 360 px wide phone screen."""
    yield from _new_page(browser, request, viewport=PHONE, is_mobile=True, has_touch=True)


def _axe_source() -> str:
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "lending"
    path = cache / f"axe-core-{AXE_VERSION}.min.js"
    if not path.exists():
        try:
            with urllib.request.urlopen(AXE_URL, timeout=60) as reply:
                tarball = reply.read()
        except OSError as exc:
            _missing(f"cannot download axe-core from the npm registry: {exc}")
        algorithm, _, expected = AXE_INTEGRITY.partition("-")
        digest = base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode()
        assert digest == expected, "axe-core tarball does not match its pinned integrity"
        with tarfile.open(fileobj=io.BytesIO(tarball)) as archive:
            source = archive.extractfile("package/axe.min.js").read()
        cache.mkdir(parents=True, exist_ok=True)
        temp = path.with_suffix(".tmp")
        temp.write_bytes(source)
        temp.replace(path)
    return path.read_text()


@pytest.fixture(scope="session")
def axe_source() -> str:
    return _axe_source()


@pytest.fixture
def check_accessibility(axe_source):
    """`check_accessibility(page)`: axe-core on the page as it is now; fails on any serious or
    critical violation, naming the rule and the elements."""

    def check(page: Any) -> None:
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            # Evaluated through the DevTools protocol: an inline <script> would be refused by
            # the pages' Content-Security-Policy (script-src 'self'), as it should be.
            page.evaluate(f"() => {{ {axe_source}\n }}")
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
        lines = [
            f"{v['id']} ({v['impact']}): {v['help']} -> "
            + ", ".join(" ".join(n["target"]) for n in v["nodes"][:5])
            for v in bad
        ]
        assert not bad, f"axe-core on {page.url}:\n" + "\n".join(lines)

    return check


@pytest.fixture
def review_screenshot(server):
    """`review_screenshot(page, name)`: saves test-artifacts/pages/<name>-<db>.png."""

    def save(page: Any, name: str) -> None:
        folder = ARTIFACTS / "pages"
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}-{server.kind}.png"), full_page=True)

    return save
