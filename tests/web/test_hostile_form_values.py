"""Hostile values in page forms, in-process (no browser), on both databases.

First the cases the fuzzing of issue 10 found (a NUL in the staff login's username, in the
resident login's card, in a desk scan and in a kit part's name; a card or username longer than
any account's), then a fuzz test: every form on every page each role can reach (found by walking
the pages as that role), and every page route that takes a post, gets NUL and other control
characters, lone surrogates, 10 kB values, long and huge-number values in each field. Never a
5xx; the values no field accepts are refused with a 4xx page and nothing is stored.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote_plus, urljoin, urlsplit

import httpx
import pytest

from lending.circulation.permissions import Role, roles_for

pytestmark = pytest.mark.asyncio

ANONYMOUS, RESIDENT, DESK, ADMIN = "anonymous", "resident", "desk", "admin"

# Values no field accepts: the page answers 4xx and nothing reaches the database.
REFUSED = {"nul": "DEV001\x00", "escape": "P001\x1b[2J", "10 kB": "x" * 10_241}
# Values some field may take (a note of 300 characters, a number as text, bytes that are not
# UTF-8, which an urlencoded form reads as U+FFFD): never a 5xx.
ODD = {"300 characters": "y" * 300, "huge number": "9" * 40, "lone surrogate": "a\ud800b"}


SESSION_ENDS = re.compile(r"/logout|/password|/deactivate|/pin$")


def encode_form(values: dict[str, str]) -> bytes:
    """An urlencoded body as a browser would send it, lone surrogates as their UTF-8 bytes."""
    return "&".join(
        f"{quote_plus(k)}={quote_plus(v.encode('utf-8', 'surrogatepass'))}"
        for k, v in values.items()
    ).encode()


async def post_form(client: httpx.AsyncClient, url: str, values: dict[str, str]) -> httpx.Response:
    return await client.post(
        url,
        content=encode_form(values),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


async def page_client(app: Any, who: str) -> httpx.AsyncClient:
    """A browser-like client logged in to the pages as `who`, its CSRF cookie sent back as the
    header on every request (so no form needs its hidden token right)."""
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    await client.get("/login")
    client.headers["x-csrftoken"] = client.cookies.get("lending_csrf")
    if who == RESIDENT:
        r = await client.post("/my/login", data={"card_number": "P001", "pin": "1234"})
        assert r.status_code == 303, r.text
    elif who != ANONYMOUS:
        r = await client.post("/login", data={"username": who, "password": "correct-horse"})
        assert r.status_code == 303, r.text
    return client


async def table_contents() -> dict[str, Any]:
    """Every row of every table (the test databases are small)."""
    from lending.tables import TABLES

    return {t._meta.tablename: await t.select().order_by(t.id) for t in TABLES}


async def row_counts() -> dict[str, int]:
    from lending.tables import TABLES

    return {t._meta.tablename: await t.count() for t in TABLES}


def refused_page(r: httpx.Response) -> bool:
    return 400 <= r.status_code < 500 and "text/html" in r.headers.get("content-type", "")


@pytest.fixture
async def world(api, library) -> dict[str, Any]:
    """The library, a loan of DEV001 to P001, a hold of P002's and a kit part on DEV002."""
    desk, admin = api.headers["desk"], api.headers["admin"]
    r = await api.client.post("/api/checkout", json={"patron": "P001", "device": "DEV001"},
                              headers=desk)  # fmt: skip
    assert r.status_code == 201, r.text
    loan = r.json()["loan"]["id"]
    r = await api.client.post(
        "/api/holds", json={"patron": "P002", "kind": "laptop", "branch": "MAIN"}, headers=desk
    )
    assert r.status_code == 201, r.text
    hold = r.json()["id"]
    r = await api.client.post(
        "/api/devices/DEV002/kit", json={"name": "Charger", "replacement_cost": 10}, headers=admin
    )
    assert r.status_code == 201, r.text
    return {"loan": loan, "hold": hold, "part": r.json()["id"]}


# ---- the cases issue 10 lists --------------------------------------------------------------


@pytest.mark.parametrize(
    "username", ["desk\x00", "\x00", "d" * 95], ids=["nul-after", "nul", "95-characters"]
)
async def test_a_hostile_username_on_the_staff_login_is_a_form_error_not_a_500(
    app, api, library, username
):
    client = await page_client(app, ANONYMOUS)
    try:
        before = await row_counts()
        r = await post_form(client, "/login", {"username": username, "password": "correct-horse"})
        assert refused_page(r), (r.status_code, r.text[:300])
        assert "username" in r.text
        assert await row_counts() == before  # not even a failed attempt is recorded
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    "card", ["P001\x00", "\x00", "9" * 100, "9" * 81], ids=["nul-after", "nul", "100", "81"]
)
async def test_a_nul_or_over_long_card_on_the_resident_login_is_a_form_error_not_a_500(
    app, api, library, card
):
    client = await page_client(app, ANONYMOUS)
    try:
        before = await row_counts()
        r = await post_form(client, "/my/login", {"card_number": card, "pin": "1234"})
        assert refused_page(r), (r.status_code, r.text[:300])
        assert "card number" in r.text
        assert await row_counts() == before
    finally:
        await client.aclose()


@pytest.mark.parametrize("field", ["code", "patron", "mode"])
@pytest.mark.parametrize("mode", ["checkout", "checkin"])
async def test_a_nul_in_a_desk_scan_is_refused_and_nothing_is_checked_out_or_in(
    app, world, field, mode
):
    client = await page_client(app, DESK)
    try:
        before = await table_contents()
        values = {"mode": mode, "code": "DEV003" if mode == "checkout" else "DEV001"}
        values["patron"] = "P003"
        values[field] = values[field] + "\x00"
        r = await post_form(client, "/desk/scan", values)
        assert refused_page(r), (r.status_code, r.text[:300])
        assert "NUL" in r.text
        assert await table_contents() == before
    finally:
        await client.aclose()


@pytest.mark.parametrize("field", ["name", "barcode"])
async def test_a_nul_in_a_kit_part_is_refused_on_the_admin_kit_form(app, world, field):
    client = await page_client(app, ADMIN)
    try:
        before = await table_contents()
        values = {"name": "Case", "barcode": "PART-9", "replacement_cost": "5"}
        values[field] = "Ca\x00se"
        r = await post_form(client, "/admin/devices/DEV003/kit", values)
        assert refused_page(r), (r.status_code, r.text[:300])
        assert await table_contents() == before
    finally:
        await client.aclose()


async def test_a_refused_form_says_which_field_and_why(app, world):
    client = await page_client(app, ADMIN)
    try:
        r = await post_form(
            client,
            "/admin/devices/DEV003/kit",
            {"name": "Ca\x00se", "barcode": "B\x1b", "notes": "x" * 10_001},
        )
        assert r.status_code == 422
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r.text))
        assert "The form was not accepted" in text
        assert "name: must not contain NUL characters" in text
        assert "barcode: must not contain control characters" in text
        assert "notes: Use at most 10000 characters" in text
        # Line breaks and tabs are text in a multi-line field, and a scanner's line end is
        # allowed at the end of a single-line one.
        r = await post_form(client, "/admin/devices/DEV003/kit",
                            {"name": "Case\r\n", "notes": "one\r\n\ttwo"})  # fmt: skip
        assert r.status_code != 422 or "not accepted" not in r.text
    finally:
        await client.aclose()


# ---- the fuzz test -------------------------------------------------------------------------


class Forms(HTMLParser):
    """The forms of a page: (method, action, enctype, {name: default value})."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.forms: list[tuple[str, str, str, dict[str, str]]] = []
        self.links: list[str] = []
        self._form: dict[str, str] | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.url, a["href"]))
        elif tag == "form":
            self._form = {}
            action = urljoin(self.url, a.get("action") or self.url)
            method = (a.get("method") or "get").upper()
            enctype = a.get("enctype") or "application/x-www-form-urlencoded"
            self.forms.append((method, action, enctype, self._form))
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input" and a.get("type") not in ("file", "image", "reset"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                self._form.setdefault(a["name"], "")
            else:
                self._form[a["name"]] = a.get("value", "on" if a.get("type") == "checkbox" else "")
        elif tag == "button":
            self._form.setdefault(a["name"], a.get("value", ""))
        elif tag == "select":
            self._select = a["name"]
            self._form.setdefault(a["name"], "")
        elif tag == "option" and self._select:
            if not self._form[self._select] or "selected" in a:
                self._form[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form[a["name"]] = ""

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea:
            self._form[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def page_routes(app: Any) -> list[tuple[str, str, frozenset[str]]]:
    """(method, path template, roles the permission table lets through) of every page route."""
    found = []
    for route in app.routes:
        if route.path_format.startswith(("/api", "/schema", "/static")):
            continue
        for handler in getattr(route, "route_handlers", ()):
            allowed = {r.value for r in Role} | {ANONYMOUS}
            for guard in handler.resolve_guards():
                if hasattr(guard, "actions"):
                    allowed &= {r.value for a in guard.actions for r in roles_for(a)}
            for method in handler.http_methods:
                if method in ("GET", "POST"):
                    found.append((method, route.path_format, frozenset(allowed)))
    return found


def template_of(path: str, templates: list[str]) -> str | None:
    for template in templates:
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            return template
    return None


def filled(template: str, world: dict[str, Any]) -> str:
    values = {"barcode": "DEV002", "card": "P002", "card_number": "P002", "code": "MAIN",
              "kind": "hotspot", "loan_id": str(world["loan"]), "loans": str(world["loan"]),
              "hold_id": str(world["hold"]), "part_id": str(world["part"])}  # fmt: skip
    return re.sub(r"\{([^}:]+)[^}]*\}", lambda m: values.get(m.group(1), "1"), template)


async def discover(client: httpx.AsyncClient, who: str, app: Any, world: dict[str, Any]):
    """Walk the pages `who` can open (one address per route, links followed) and return their
    forms, one per (method, route, fields)."""
    routes = page_routes(app)
    gets = sorted({t for m, t, allowed in routes if m == "GET" and who in allowed}, key=len)
    templates = sorted({t for _, t, _ in routes}, key=lambda t: (t.count("{"), -len(t)))
    queue = [filled(t, world) for t in gets]
    seen_templates: set[str] = set()
    forms: dict[tuple[str, str, frozenset[str]], tuple[str, str, str, dict[str, str]]] = {}
    while queue:
        path = queue.pop(0)
        template = template_of(path, templates)
        if template is None or template in seen_templates or "logout" in path:
            continue
        seen_templates.add(template)
        r = await client.get(path)
        if r.status_code != 200 or "text/html" not in r.headers.get("content-type", ""):
            continue
        parser = Forms("http://testserver" + path)
        parser.feed(r.text)
        for link in parser.links:
            parts = urlsplit(link)
            if parts.netloc == "testserver" and not parts.path.startswith(("/static", "/api")):
                queue.append(parts.path)
        for method, action, enctype, fields in parser.forms:
            target = urlsplit(action).path
            key = (method, template_of(target, templates) or target, frozenset(fields))
            forms.setdefault(key, (method, target, enctype, dict(fields)))
    return list(forms.values()), routes


async def send(client, method: str, url: str, enctype: str, values: dict[str, str]):
    if method == "GET":
        query = encode_form(values).decode()
        return await client.get(f"{url}?{query}")
    if enctype.startswith("multipart"):
        parts = {k: (None, v.encode("utf-8", "surrogatepass")) for k, v in values.items()}
        return await client.post(url, files=parts)
    return await post_form(client, url, values)


@pytest.mark.parametrize("who", [ANONYMOUS, RESIDENT, DESK, ADMIN])
async def test_hostile_values_in_any_page_form_never_5xx_and_are_stored_nowhere(app, world, who):
    client = await page_client(app, who)
    failures: list[str] = []
    try:
        forms, routes = await discover(client, who, app, world)
        posts = [f for f in forms if f[0] == "POST"]
        assert len(posts) >= {ANONYMOUS: 2, RESIDENT: 3, DESK: 8, ADMIN: 28}[who], [
            f[:2] for f in forms
        ]
        names = sorted({name for *_, fields in forms for name in fields} - {"_csrf_token"})
        roles = {(m, t): allowed for m, t, allowed in routes}
        templates = sorted({t for _, t in roles}, key=lambda t: (t.count("{"), -len(t)))
        # Page routes that take a post but whose form is not on a page (filled in by scripts,
        # or shown only after another post) get every field name any form has, all at once.
        known = {(m, urlsplit(url).path) for m, url, *_ in forms}
        swept = [
            ("POST", filled(t, world), "application/x-www-form-urlencoded", dict.fromkeys(names))
            for m, t, _ in routes
            if m == "POST" and (m, filled(t, world)) not in known
        ]
        for method, url, enctype, defaults in forms + swept:
            template = template_of(urlsplit(url).path, templates)
            allowed = who in roles.get((method, template), ())
            fields = [n for n in defaults if n != "_csrf_token"]
            # A role the guard turns away never gets its body read: one try per value will do.
            one_by_one = allowed and all(v is not None for v in defaults.values())
            before = await table_contents()
            for label, value in REFUSED.items():
                tries = [{**defaults, f: value} for f in fields] if one_by_one else [
                    {**defaults, **dict.fromkeys(fields, value)}]  # fmt: skip
                for values in tries:
                    r = await send(client, method, url, enctype, values)
                    field = next((f for f in fields if values[f] is value), "")
                    where = f"{who} {method} {url} {field}={label}: {r.status_code}"
                    if r.status_code >= 500:
                        failures.append(where)
                    elif method == "POST" and allowed and not 400 <= r.status_code < 500:
                        failures.append(f"{where} (accepted)")
                    elif method == "POST" and not allowed and r.status_code not in (303, 403):
                        failures.append(f"{where} (not a login redirect or 403)")
            if await table_contents() != before:
                failures.append(f"{who} {method} {url}: a refused value changed the database")
        # Values a field may take can do what the form does: the forms that can end this
        # session (a new password, logging out) go last.
        for method, url, enctype, defaults in sorted(
            forms, key=lambda f: SESSION_ENDS.search(f[1]) is not None
        ):
            for field in [n for n in defaults if n != "_csrf_token"]:
                for label, value in ODD.items():
                    r = await send(client, method, url, enctype, {**defaults, field: value})
                    if r.status_code >= 500:
                        failures.append(f"{who} {method} {url} {field}={label}: {r.status_code}")
    finally:
        await client.aclose()
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures)
