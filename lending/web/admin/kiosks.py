"""Admin console: the SIP2 accounts of self-check kiosks and laptop lockers (list, add, remove
after an "are you sure" step), through lending.services.access.sip_accounts."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from ...circulation import Conflict, Invalid, LendingError, NotFound
from ...circulation.permissions import Action
from ...services.access import sip_accounts
from ...services.library import service_points
from ..pages import read_form, render, requires_page, see_other
from ..sessions import page_actor
from .fields import FormCheck, local_time

__all__ = ["AdminKioskController"]

MAX_NAME = 64
MIN_PASSWORD, MAX_PASSWORD = 8, 128  # as sip_accounts checks them
ENCODING_LABELS = {
    "cp850": "cp850 (what most SIP2 kiosks send)",
    "utf-8": "UTF-8",
}
FIELDS = ("name", "password", "service_point", "encoding")


def _password(check: FormCheck) -> str | None:
    password = check.form.get("password", "")
    if not password:
        check.add("password", "Enter a password.")
    elif len(password) < MIN_PASSWORD:
        check.add("password", f"Use at least {MIN_PASSWORD} characters.")
    elif len(password) > MAX_PASSWORD:
        check.add("password", f"Use at most {MAX_PASSWORD} characters.")
    else:
        return password
    return None


class AdminKioskController(Controller):
    path = "/admin/kiosks"
    guards = [requires_page(Action.KIOSK_MANAGE)]
    include_in_schema = False

    async def _points(self) -> tuple[list[tuple[str, str]], dict[str, str]]:
        """The active service points as select options (code, "Name (CODE)"), and every
        point's label by code (an account may lend at a point deactivated since)."""
        found = await service_points.list_service_points(limit=500, offset=0)
        labels = {p.code: f"{p.name} ({p.code})" for p in found.items}
        return [(p.code, labels[p.code]) for p in found.items if p.active], labels

    async def _page(
        self,
        request: Request,
        *,
        add: FormCheck | None = None,
        problem: str | None = None,
        removing: sip_accounts.SipAccountOut | None = None,
        status: int = 200,
    ) -> Template:
        settings = request.app.state.settings
        options, labels = await self._points()
        values = {"encoding": sip_accounts.ENCODINGS[0]}
        if add is not None:
            values = {k: v for k, v in add.values.items() if "password" not in k}
        return render(
            request,
            "admin/kiosks.html",
            status=status,
            accounts=await sip_accounts.list_sip_accounts(),
            point_labels=labels,
            point_options=[("", "Choose a service point…"), *options],
            encodings=[(e, ENCODING_LABELS.get(e, e)) for e in sip_accounts.ENCODINGS],
            add_values=values,
            add_errors=add.errors if add else {},
            problem=problem,
            removing=removing,
            when=lambda value: local_time(value, settings.timezone),
            sip2={
                "host": settings.sip2_host,
                "port": settings.sip2_port,
                "tls": bool(settings.sip2_tls_cert),
                "serve": bool(settings.sip2_serve),
            },
        )

    @get("/")
    async def index(self, request: Request) -> Template:
        return await self._page(request)

    @post("/", status_code=200)
    async def add(self, request: Request) -> Template | Redirect:
        check = FormCheck(await read_form(request))
        name = check.text("name", max_len=MAX_NAME, required="Enter a name for the kiosk.")
        password = _password(check)
        options, _ = await self._points()
        point = check.choice(
            "service_point", [code for code, _ in options], "Choose an active service point."
        )
        encoding = check.choice(
            "encoding", sip_accounts.ENCODINGS, "Choose cp850 or UTF-8, as the kiosk sends."
        )
        if check.ok:
            try:
                await sip_accounts.add_sip_account(
                    await page_actor(request),
                    request.app.state.clock(),
                    name=name,  # type: ignore[arg-type]
                    password=password,  # type: ignore[arg-type]
                    service_point=point,  # type: ignore[arg-type]
                    encoding=encoding,  # type: ignore[arg-type]
                )
            except Invalid as exc:
                check.refused(exc, FIELDS)
            except Conflict as exc:
                check.add("name", exc.detail)
            except LendingError as exc:
                check.add("form", exc.detail)
            else:
                return see_other(
                    request,
                    "/admin/kiosks",
                    flash=f"Kiosk account {name} added: it can log in over SIP2 now.",
                )
        return await self._page(request, add=check, status=422)

    @post("/{name:str}/remove", status_code=200)
    async def remove(self, request: Request, name: FromPath[str]) -> Template | Redirect:
        """Without confirm=yes, the "are you sure" page; with it, the account is removed."""
        name = name[:MAX_NAME]
        form = await read_form(request)
        accounts = {a.name: a for a in await sip_accounts.list_sip_accounts()}
        account = accounts.get(name)
        if account is None:
            return await self._page(
                request, problem=f"No kiosk account named {name!r}: nothing removed.", status=404
            )
        if form.get("confirm") != "yes":
            return await self._page(request, removing=account)
        try:
            await sip_accounts.remove_sip_account(
                await page_actor(request),
                request.app.state.clock(),
                name,
            )
        except NotFound as exc:  # removed meanwhile, by someone else
            return await self._page(request, problem=exc.detail, status=404)
        return see_other(
            request,
            "/admin/kiosks",
            flash=f"Kiosk account {name} removed: it can no longer log in over SIP2.",
        )
