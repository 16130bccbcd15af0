"""Admin console: patrons. Search, the patron page (loans, holds, charges), add and edit, block
and unblock, and a new PIN, all through lending.services.people.patrons (so every change is audited)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from msgspec.structs import asdict

from ...circulation import Conflict, Invalid, NotFound, card_standing, normalize_code
from ...circulation.codes import Code
from ...circulation.permissions import Action
from ...schemas.base import PatronList, PatronSummaryOut
from ...services._common.render import zone
from ...services.circulation.charges import patron_charges
from ...services.library.branches import list_branches
from ...services.people import patrons
from ..pages import read_form, render, requires_page, see_other
from ..sessions import page_actor
from .fields import PAGE_SIZE, FormCheck, local_time, page_window

__all__ = ["AdminPatronController", "local_today", "search_page", "standing_of"]

# The API's limits (lending/http/schemas.py PatronIn/PatronPatch).
MAX_CARD = 64
MAX_NAME = 200
MAX_EMAIL = 254
MAX_PHONE = 32
MAX_HOUSEHOLD = 64
MAX_REASON = 500
FIELDS = (
    "card_number",
    "name",
    "email",
    "phone",
    "language",
    "household",
    "branch",
    "expires_on",
    "blocked",
    "block_reason",
    "pin",
)
LANGUAGES = (("en", "English"), ("es", "Spanish (español)"))


def standing_of(patron: PatronSummaryOut, today: date) -> dict[str, Any]:
    """A patron as a list or page shows them, with the card's warning: `standing` is blocked,
    expired, expiring (within 30 days) or ok, and `days_left` the days to expiry."""
    standing = card_standing(patron.blocked, patron.expires_on, today)
    return {**asdict(patron), "standing": standing.worst, "days_left": standing.days_left}


async def search_page(
    request: Request, template: str, q: str | None, page: str | None, *, list_all: bool
) -> Template:
    """A page of patrons matching `q` (every patron when `q` is empty and `list_all`), each
    with its card's standing; shared by the admin list and the desk's search."""
    query = (q or "").strip()[:200]
    number = _page_number(page)
    found = PatronList(items=[], total=0)
    if query or list_all:
        found = await patrons.list_patrons(query or None, PAGE_SIZE, (number - 1) * PAGE_SIZE)
    today = local_today(request)
    return render(
        request,
        template,
        q=query,
        patrons=[standing_of(p, today) for p in found.items],
        window=page_window(request, found.total, number),
    )


def local_today(request: Request) -> date:
    settings = request.app.state.settings
    return request.app.state.clock().astimezone(zone(settings.timezone)).date()


def _card(raw: str) -> str:
    card = normalize_code(raw)
    if not card or len(card) > MAX_CARD:
        raise NotFound(f"No patron with card number {card[:80]!r}.", Code.PATRON_NOT_FOUND)
    return card


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) < 7 else 1


async def _branch_timezones() -> dict[str, str]:
    return {b.code: b.timezone for b in (await list_branches(500, 0)).items}


def _patron_values(check: FormCheck, *, new: bool) -> dict[str, Any]:
    """The form as the service's values; an empty optional field clears it."""
    values: dict[str, Any] = {}
    if new:
        card = normalize_code(check.form.get("card_number", ""))
        if not card:
            check.add("card_number", "Enter the card number.")
        elif len(card) > MAX_CARD:
            check.add("card_number", f"Use at most {MAX_CARD} characters.")
        values["card_number"] = card
    values["name"] = check.text("name", max_len=MAX_NAME, required="Enter the patron's name.")
    values["email"] = check.text("email", max_len=MAX_EMAIL)
    values["phone"] = check.text("phone", max_len=MAX_PHONE)
    values["language"] = check.choice(
        "language", [code for code, _ in LANGUAGES], "Choose English or Spanish."
    )
    values["household"] = check.text("household", max_len=MAX_HOUSEHOLD)
    values["branch"] = check.text("branch", max_len=100)
    values["expires_on"] = check.day("expires_on")
    if new:
        values["blocked"] = check.form.get("blocked") == "yes"
        reason = check.text("block_reason", max_len=MAX_REASON)
        if values["blocked"] and not reason:
            check.add("block_reason", "Say why the patron is blocked.")
        values["block_reason"] = reason if values["blocked"] else None
        pin = check.form.get("pin", "").strip()
        if pin and not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 12):
            check.add("pin", "A PIN is 4 to 12 digits.")
        values["pin"] = pin or None
    return values


class AdminPatronController(Controller):
    path = "/admin/patrons"
    include_in_schema = False

    @get("/", guards=[requires_page(Action.PATRON_READ)])
    async def search(
        self, request: Request, q: FromQuery[str | None] = None, page: FromQuery[str | None] = None
    ) -> Template:
        return await search_page(request, "admin/patrons.html", q, page, list_all=True)

    # ---- add and edit ----------------------------------------------------------------------

    async def _form(
        self, request: Request, *, card: str | None, check: FormCheck | None, status: int = 200
    ) -> Template:
        branches = sorted(await _branch_timezones())
        return render(
            request,
            "admin/patron_form.html",
            status=status,
            card=card,
            values=check.values if check else {"language": "en"},
            errors=check.errors if check else {},
            branches=branches,
            languages=LANGUAGES,
        )

    @get("/new", guards=[requires_page(Action.PATRON_CREATE)])
    async def new_form(self, request: Request) -> Template:
        return await self._form(request, card=None, check=None)

    @post("/new", status_code=200, guards=[requires_page(Action.PATRON_CREATE)])
    async def create(self, request: Request) -> Template | Redirect:
        check = FormCheck(await read_form(request))
        values = _patron_values(check, new=True)
        if check.ok:
            actor = await page_actor(request)
            try:
                created = await patrons.create_patron(actor, request.app.state.clock(), values)
            except Invalid as exc:
                check.refused(exc, FIELDS)
            except Conflict as exc:
                check.add("card_number", exc.detail)
            else:
                card = created.card_number
                return see_other(request, f"/admin/patrons/{card}", flash="Patron added.")
        return await self._form(request, card=None, check=check, status=422)

    @get("/{card:str}/edit", guards=[requires_page(Action.PATRON_EDIT)])
    async def edit_form(self, request: Request, card: FromPath[str]) -> Template:
        patron = await patrons.patron_by_card(_card(card))
        view = patrons.patron_view(patron)
        check = FormCheck({k: ("" if v is None else str(v)) for k, v in asdict(view).items()})
        return await self._form(request, card=view.card_number, check=check)

    @post("/{card:str}/edit", status_code=200, guards=[requires_page(Action.PATRON_EDIT)])
    async def update(self, request: Request, card: FromPath[str]) -> Template | Redirect:
        card = (await patrons.patron_by_card(_card(card)))["card_number"]
        check = FormCheck(await read_form(request))
        values = _patron_values(check, new=False)
        if check.ok:
            actor = await page_actor(request)
            try:
                await patrons.update_patron(actor, request.app.state.clock(), card, values)
            except Invalid as exc:
                check.refused(exc, FIELDS)
            else:
                return see_other(request, f"/admin/patrons/{card}", flash="Patron saved.")
        return await self._form(request, card=card, check=check, status=422)

    # ---- the patron page and its actions -----------------------------------------------------

    async def _patron_page(
        self,
        request: Request,
        card: str,
        *,
        errors: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
        status: int = 200,
    ) -> Template:
        now = request.app.state.clock()
        settings = request.app.state.settings
        patron = await patrons.get_patron(card, now)
        zones = await _branch_timezones()

        def branch_time(value: datetime | None, branch: str) -> str:
            return local_time(value, zones.get(branch, settings.timezone))

        return render(
            request,
            "admin/patron.html",
            status=status,
            patron=standing_of(patron, now.astimezone(zone(settings.timezone)).date()),
            charges=await patron_charges(card, timezone=settings.timezone),
            branch_time=branch_time,
            library_time=lambda v: local_time(v, settings.timezone),
            today=now.astimezone(zone(settings.timezone)).date().isoformat(),
            errors=errors or {},
            values=values or {},
        )

    @get("/{card:str}", guards=[requires_page(Action.PATRON_READ)])
    async def show(self, request: Request, card: FromPath[str]) -> Template:
        return await self._patron_page(request, _card(card))

    @post("/{card:str}/block", status_code=200, guards=[requires_page(Action.PATRON_BLOCK)])
    async def block(self, request: Request, card: FromPath[str]) -> Template | Redirect:
        card = _card(card)
        check = FormCheck(await read_form(request))
        reason = check.text(
            "block_reason", max_len=MAX_REASON, required="Say why the patron is blocked."
        )
        if check.ok:
            data = {"blocked": True, "block_reason": reason}
            await patrons.update_patron(
                await page_actor(request), request.app.state.clock(), card, data
            )
            return see_other(request, f"/admin/patrons/{card}", flash="Patron blocked.")
        return await self._patron_page(
            request, card, errors=check.errors, values=check.values, status=422
        )

    @post("/{card:str}/unblock", status_code=200, guards=[requires_page(Action.PATRON_UNBLOCK)])
    async def unblock(self, request: Request, card: FromPath[str]) -> Redirect:
        card = _card(card)
        await patrons.update_patron(
            await page_actor(request), request.app.state.clock(), card, {"blocked": False}
        )
        return see_other(request, f"/admin/patrons/{card}", flash="Patron unblocked.")

    @post("/{card:str}/pin", status_code=200, guards=[requires_page(Action.PATRON_SET_PIN)])
    async def reset_pin(self, request: Request, card: FromPath[str]) -> Template | Redirect:
        card = _card(card)
        form = await read_form(request)
        check = FormCheck(form)
        pin = form.get("pin", "").strip()
        if not pin:
            check.add("pin", "Enter the new PIN.")
        elif not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 12):
            check.add("pin", "A PIN is 4 to 12 digits.")
        elif form.get("pin_again", "").strip() != pin:
            check.add("pin_again", "The two PINs are not the same.")
        if check.ok:
            await patrons.update_patron(
                await page_actor(request), request.app.state.clock(), card, {"pin": pin}
            )
            return see_other(
                request, f"/admin/patrons/{card}", flash="New PIN set. Tell the patron their PIN."
            )
        return await self._patron_page(request, card, errors=check.errors, status=422)
