"""Admin console: staff accounts (list, add, deactivate and reactivate, a new password), through
lending.services.people.staff."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from ...circulation import Conflict, Invalid, LendingError
from ...circulation.permissions import Action
from ...services.actors import STAFF_ROLES
from ...services.people import staff
from ..pages import read_form, render, requires_page, see_other
from ..sessions import page_actor, session_of
from .fields import FormCheck

__all__ = ["AdminStaffController"]

MAX_USERNAME = 64
MAX_PASSWORD = 1024
ROLES = (("desk", "Desk: circulation"), ("admin", "Admin: everything"))


def _password(check: FormCheck, name: str = "password") -> str | None:
    password = check.form.get(name, "")
    if not password:
        check.add(name, "Enter a password.")
    elif len(password) < staff.MIN_PASSWORD:
        check.add(name, f"Use at least {staff.MIN_PASSWORD} characters.")
    elif len(password) > MAX_PASSWORD:
        check.add(name, f"Use at most {MAX_PASSWORD} characters.")
    else:
        return password
    return None


class AdminStaffController(Controller):
    path = "/admin/staff"
    guards = [requires_page(Action.STAFF_MANAGE)]
    include_in_schema = False

    async def _page(
        self,
        request: Request,
        *,
        add: FormCheck | None = None,
        reset: FormCheck | None = None,
        problem: str | None = None,
        status: int = 200,
    ) -> Template:
        def kept(check: FormCheck | None, default: dict[str, str]) -> dict[str, str]:
            if check is None:
                return default
            return {k: v for k, v in check.values.items() if "password" not in k}

        return render(
            request,
            "admin/staff.html",
            status=status,
            accounts=await staff.list_staff(),
            roles=ROLES,
            add_values=kept(add, {"role": "desk"}),
            add_errors=add.errors if add else {},
            reset_values=kept(reset, {}),
            reset_errors=reset.errors if reset else {},
            problem=problem,
        )

    @get("/")
    async def index(self, request: Request) -> Template:
        return await self._page(request)

    @post("/", status_code=200)
    async def add(self, request: Request) -> Template | Redirect:
        check = FormCheck(await read_form(request))
        username = check.text("username", max_len=MAX_USERNAME, required="Enter a username.")
        role = check.choice("role", STAFF_ROLES, "Choose desk or admin.")
        password = _password(check)
        if check.ok:
            try:
                await staff.add_staff(
                    await page_actor(request),
                    request.app.state.clock(),
                    username=username,  # type: ignore[arg-type]
                    role=role,  # type: ignore[arg-type]
                    password=password,  # type: ignore[arg-type]
                )
            except Invalid as exc:
                check.refused(exc, ("username", "role", "password"))
            except Conflict as exc:
                check.add("username", exc.detail)
            else:
                return see_other(
                    request, "/admin/staff", flash=f"Account {username} added: it can log in now."
                )
        return await self._page(request, add=check, status=422)

    @post("/password", status_code=200)
    async def reset_password(self, request: Request) -> Template | Redirect:
        check = FormCheck(await read_form(request))
        username = check.text("account", max_len=MAX_USERNAME, required="Choose the account.")
        password = _password(check, "new_password")
        if check.ok:
            try:
                await staff.reset_staff_password(
                    await page_actor(request),
                    request.app.state.clock(),
                    username,  # type: ignore[arg-type]
                    password,  # type: ignore[arg-type]
                    token=session_of(request).token,
                )
            except Invalid as exc:
                for error in exc.errors:
                    error.field = "new_password" if error.field == "password" else error.field
                check.refused(exc, ("new_password",))
            except LendingError as exc:
                check.add("account", exc.detail)
            else:
                return see_other(
                    request,
                    "/admin/staff",
                    flash=f"New password set for {username}. Their other sessions have ended.",
                )
        return await self._page(request, reset=check, status=422)

    async def _set_active(
        self, request: Request, username: str, active: bool
    ) -> Template | Redirect:
        username = username[:MAX_USERNAME]
        try:
            await staff.set_staff_active(
                await page_actor(request), request.app.state.clock(), username, active
            )
        except Conflict as exc:
            return await self._page(request, problem=exc.detail, status=409)
        flash = f"{username} can log in again." if active else f"{username} can no longer log in."
        return see_other(request, "/admin/staff", flash=flash)

    @post("/{username:str}/deactivate", status_code=200)
    async def deactivate(self, request: Request, username: FromPath[str]) -> Template | Redirect:
        return await self._set_active(request, username, False)

    @post("/{username:str}/reactivate", status_code=200)
    async def reactivate(self, request: Request, username: FromPath[str]) -> Template | Redirect:
        return await self._set_active(request, username, True)
