"""Logging in and out of the pages (staff: username + password; residents: card + PIN) and
choosing the page language. Logins go through the same service as the API, so the lockout,
token expiry and revocation are the API's."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from ..circulation import AuthError, TooManyAttempts
from ..circulation.scan import normalize_code
from ..services.access import auth as auth_service
from ..services.access.auth import log_in_resident, log_in_staff
from ..services.access.throttle import client_address
from .pages import language_of, local_path, read_form, render, see_other
from .sessions import LANGUAGES, page_actor, session_of

__all__ = ["PageAuthController"]

MAX_NAME = 64  # the longest username or card number there can be
MAX_SECRET = 200


def _who(request: Request) -> dict:
    """The client address and the gate a login goes through (as on the API)."""
    settings = request.app.state.settings
    peer = request.client.host if request.client else None
    forwarded = request.headers.get("x-forwarded-for")
    return {
        "client": client_address(peer, forwarded, settings.trusted_proxies),
        "gate": request.app.state.login_gate,
    }


def _refused(response: Template, retry_after: int | None) -> Template:
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _home_for(role: str) -> str:
    return {
        "admin": "/admin",
        "desk": "/desk",
        "partner": "/admin/programs",
        "resident": "/my",
    }.get(role, "/")


class PageAuthController(Controller):
    include_in_schema = False

    @get("/")
    async def home(self, request: Request) -> Template | Redirect:
        actor = await page_actor(request)
        if actor is not None:
            return Redirect(path=_home_for(actor.role), status_code=303)
        return render(request, "home.html")

    @get("/login")
    async def staff_login_form(
        self, request: Request, next: FromQuery[str | None] = None
    ) -> Template:
        return render(request, "login.html", next=local_path(next, ""), errors={}, values={})

    @post("/login", status_code=200)
    async def staff_login(self, request: Request) -> Template | Redirect:
        form = await read_form(request)
        # Not cut short: an over-long name is refused by the service before any lookup (a cut
        # one could be someone else's, and its failure would be counted).
        username = form.get("username", "").strip()
        password = form.get("password", "")[:MAX_SECRET]
        next_path = local_path(form.get("next"), "")
        errors = {}
        retry_after = None
        if not username:
            errors["username"] = "Enter your username."
        if not password:
            errors["password"] = "Enter your password."
        if not errors:
            try:
                reply = await log_in_staff(
                    username,
                    password,
                    request.app.state.clock(),
                    request.app.state.settings,
                    **_who(request),
                )
            except TooManyAttempts as exc:
                errors["form"], retry_after = exc.detail, exc.retry_after
            except AuthError:
                errors["form"] = "Wrong username or password."
            else:
                session = {"t": reply.access_token}
                return see_other(request, next_path or _home_for(reply.role), session=session)
        status = 429 if "Too many" in errors.get("form", "") else 422
        page = render(
            request,
            "login.html",
            status=status,
            next=next_path,
            errors=errors,
            values={"username": username[:MAX_NAME]},
        )
        return _refused(page, retry_after)

    @get("/my/login")
    async def resident_login_form(
        self, request: Request, next: FromQuery[str | None] = None
    ) -> Template:
        return render(request, "my/login.html", next=local_path(next, ""), errors={}, values={})

    @post("/my/login", status_code=200)
    async def resident_login(self, request: Request) -> Template | Redirect:
        form = await read_form(request)
        card = normalize_code(form.get("card_number", ""))  # not cut short (see staff_login)
        pin = form.get("pin", "").strip()[:MAX_SECRET]
        next_path = local_path(form.get("next"), "")
        lang = language_of(request)
        errors: dict[str, str] = {}
        if not card:
            errors["card_number"] = "required"
        if not pin:
            errors["pin"] = "required"
        status, retry_after = 422, None
        if not errors:
            try:
                reply = await log_in_resident(
                    card,
                    pin,
                    request.app.state.clock(),
                    request.app.state.settings,
                    **_who(request),
                )
            except TooManyAttempts as exc:
                errors["form"], status, retry_after = "too_many_attempts", 429, exc.retry_after
            except AuthError:
                errors["form"] = "wrong_card_or_pin"
            else:
                session = {"t": reply.access_token, "l": session_of(request).language}
                return see_other(request, next_path or "/my", session=session)
        page = render(
            request,
            "my/login.html",
            status=status,
            language=lang,
            next=next_path,
            errors=errors,
            values={"card_number": card[:MAX_NAME]},
        )
        return _refused(page, retry_after)

    @post("/logout", status_code=200)
    async def log_out(self, request: Request) -> Redirect:
        actor = await page_actor(request)
        session = session_of(request)
        if session.token:
            await auth_service.revoke(session.token)
        target = "/my/login" if actor is not None and actor.role == "resident" else "/login"
        keep = {"l": session.language} if session.language else {}
        return see_other(request, target, session=keep)

    @post("/language", status_code=200)
    async def choose_language(self, request: Request) -> Redirect:
        form = await read_form(request)
        language = form.get("language", "")
        session = dict(session_of(request))
        if language in LANGUAGES:
            session["l"] = language
        return see_other(request, local_path(form.get("next"), "/my"), session=session)
