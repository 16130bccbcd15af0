"""What every page handler shares: rendering with the common context, redirects that carry a
one-time message, reading forms (lending.web.form_input), and the page guards built from the permission table
(lending/circulation/permissions.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Redirect, Template

from ..circulation.permissions import Action, Role, allows, allows_any, roles_for
from ..services.actors import Actor
from .admin.nav import ADMIN_NAV
from .form_input import MAX_FIELD_CHARS, checked_form, read_form
from .i18n import translator
from .sessions import page_actor, session_of, store_session

__all__ = [
    "MAX_FIELD_CHARS",
    "LoginRequired",
    "PageForbidden",
    "RequiresPage",
    "language_of",
    "checked_form",
    "local_path",
    "may",
    "nav_for",
    "read_form",
    "render",
    "requires_page",
    "see_other",
]


class LoginRequired(Exception):
    """The page needs a login: answered with a redirect to `login` (?next= the page)."""

    def __init__(self, login: str, next_path: str) -> None:
        super().__init__(login)
        self.login = login
        self.next_path = next_path


class PageForbidden(Exception):
    """Logged in, but with the wrong role for this page (answered 403 with a page)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def local_path(value: str | None, default: str) -> str:
    """`value` when it is a path on this site (so ?next= cannot send anyone elsewhere)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if any(ch in value for ch in "\r\n\t\\") or len(value) > 500:
        return default
    return value


def language_of(request: Request, actor_language: str | None = None) -> str:
    chosen = session_of(request).language
    if chosen:
        return chosen
    if actor_language in ("en", "es"):
        return actor_language
    accept = request.headers.get("accept-language", "").lower()
    return "es" if accept.startswith("es") else "en"


def render(
    request: Request,
    template: str,
    *,
    status: int = 200,
    language: str | None = None,
    **context: Any,
) -> Template:
    session = session_of(request)
    lang = language or language_of(request)
    flash = session.get("f") if isinstance(session.get("f"), str) else None
    actor: Actor | None = request.scope.get("lending_page_actor")  # type: ignore[assignment]
    response = Template(
        template_name=template,
        status_code=status,
        context={
            "request": request,
            "actor": actor,
            "library_name": request.app.state.settings.library_name,
            "lang": lang,
            "t": translator(lang),
            "flash": flash,
            "path": request.url.path,
            "admin_nav": nav_for(actor),
            "may": lambda action: may(request, Action(action)),
            **context,
        },
        headers={"cache-control": "no-store"},
    )
    if flash is not None:  # shown once
        store_session(request, response, {k: v for k, v in session.items() if k != "f"})
    return response


def see_other(
    request: Request, url: str, *, flash: str | None = None, session: dict[str, Any] | None = None
) -> Redirect:
    """303 to `url` (after a form post), optionally with a message shown once on the next page
    and a replacement session."""
    response = Redirect(path=url, status_code=303)
    data = dict(session_of(request) if session is None else session)
    if flash is not None:
        data["f"] = flash[:300]
    if flash is not None or session is not None:
        store_session(request, response, data)
    return response


async def _page_actor_or_login(connection: ASGIConnection, login: str) -> Actor:
    actor = await page_actor(connection)  # type: ignore[arg-type]
    if actor is None:
        target = connection.url.path
        if connection.url.query:
            target += "?" + connection.url.query
        raise LoginRequired(login, target)
    return actor


_FOR_WHOM = {
    frozenset({Role.ADMIN}): "This page is for administrators.",
    frozenset({Role.ADMIN, Role.DESK}): "This page is for library staff.",
    frozenset({Role.ADMIN, Role.DESK, Role.PARTNER}): "This page is for library staff and "
    "partner staff.",
    frozenset({Role.RESIDENT}): (
        "This page is for residents: log in with your card number and PIN."
    ),
}


class RequiresPage:
    """A page guard: not logged in, a redirect to the login (the residents' one when only
    residents may do any of `actions`); logged in with a role that may do none of them, the
    403 page."""

    def __init__(self, actions: tuple[Action, ...]) -> None:
        self.actions = actions
        # Kiosks reach no page (they speak SIP2): who a page is for is said without them.
        self.roles = frozenset().union(*(roles_for(a) for a in actions)) - {Role.KIOSK}
        self.login = "/my/login" if self.roles == {Role.RESIDENT} else "/login"

    async def __call__(self, connection: ASGIConnection, _: BaseRouteHandler) -> None:
        actor = await _page_actor_or_login(connection, self.login)
        if not allows_any(actor.role, self.actions):
            raise PageForbidden(_FOR_WHOM.get(self.roles, "You do not have access to this page."))

    def __repr__(self) -> str:
        return f"requires_page({', '.join(a.value for a in self.actions)})"


def requires_page(*actions: Action) -> RequiresPage:
    return RequiresPage(actions)


def may(request: Request, action: Action) -> bool:
    """May the person logged in to the pages do this? (Templates: `may("patron.unblock")`.)"""
    actor: Actor | None = request.scope.get("lending_page_actor")  # type: ignore[assignment]
    return actor is not None and allows(actor.role, action)


def nav_for(actor: Actor | None) -> list[tuple[str, str]]:
    """The admin console's sections this actor may open."""
    if actor is None:
        return []
    return [(href, label) for href, label, action in ADMIN_NAV if allows(actor.role, action)]


def login_redirect(error: LoginRequired) -> Redirect:
    return Redirect(path=f"{error.login}?next={quote(error.next_path, safe='/')}", status_code=303)
