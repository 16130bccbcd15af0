"""The desk's patrons (/desk/patrons, desk and admin staff): find a patron who forgot their card
by name, card number, phone or email, and register a new patron with what a desk needs (no PIN:
only admins set PINs). Both go through lending.services.people.patrons (list_patrons, create_patron),
so search takes % and _ literally and every new patron is in the audit trail.

Actions these pages need (for the permission table): patron.read (search), patron.create (new)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from ...circulation import Conflict, Invalid, normalize_code
from ...circulation.permissions import Action
from ...services.library.branches import list_branches
from ...services.people import patrons
from ..admin.fields import FormCheck
from ..admin.patrons import (
    LANGUAGES,
    MAX_CARD,
    MAX_EMAIL,
    MAX_HOUSEHOLD,
    MAX_NAME,
    MAX_PHONE,
    local_today,
    search_page,
)
from ..pages import read_form, render, requires_page, see_other
from ..sessions import page_actor

__all__ = ["DeskPatronController"]

FIELDS = ("card_number", "name", "email", "phone", "language", "household", "branch", "expires_on")
HOUSEHOLD_CHOICES = ("none", "existing", "new")
CARD_YEARS = 3  # the default expiry offered for a new card


async def _new_values(check: FormCheck, known: list[str]) -> dict[str, Any]:
    card = normalize_code(check.form.get("card_number", ""))
    if not card:
        check.add("card_number", "Scan or type the card number.")
    elif len(card) > MAX_CARD:
        check.add("card_number", f"Use at most {MAX_CARD} characters.")
    values: dict[str, Any] = {"card_number": card}
    values["name"] = check.text("name", max_len=MAX_NAME, required="Enter the patron's name.")
    values["email"] = check.text("email", max_len=MAX_EMAIL)
    values["phone"] = check.text("phone", max_len=MAX_PHONE)
    values["language"] = check.choice(
        "language", [code for code, _ in LANGUAGES], "Choose English or Spanish."
    )
    choice = check.choice(
        "household_choice", HOUSEHOLD_CHOICES, "Choose no household, an existing one or a new one."
    )
    household = None
    if choice == "existing":
        household = check.text(
            "household", max_len=MAX_HOUSEHOLD, required="Choose the household from the list."
        )
        if household and household not in known:
            check.add("household", "There is no such household: pick one from the list.")
    elif choice == "new":
        household = check.text(
            "new_household", max_len=MAX_HOUSEHOLD, required="Name the new household."
        )
        if household and household in known:
            check.add(
                "new_household",
                "That household already exists: choose Existing household to add them to it.",
            )
    values["household"] = household
    values["branch"] = check.text("branch", max_len=100)
    values["expires_on"] = check.day("expires_on", required="Enter the card's expiry date.")
    return values


class DeskPatronController(Controller):
    path = "/desk/patrons"
    include_in_schema = False

    @get("/", guards=[requires_page(Action.PATRON_READ)])
    async def search(
        self, request: Request, q: FromQuery[str | None] = None, page: FromQuery[str | None] = None
    ) -> Template:
        return await search_page(request, "desk/patrons.html", q, page, list_all=False)

    async def _form(
        self,
        request: Request,
        check: FormCheck | None,
        known: list[str],
        status: int = 200,
        card: str = "",
    ) -> Template:
        branches = [b.code for b in (await list_branches(500, 0)).items]
        if check is None:
            expires = local_today(request) + timedelta(days=365 * CARD_YEARS)
            values = {
                "card_number": card,
                "language": "en",
                "household_choice": "none",
                "expires_on": str(expires),
            }
        else:
            values = check.values
        return render(
            request,
            "desk/patron_form.html",
            status=status,
            values=values,
            errors=check.errors if check else {},
            branches=branches,
            languages=LANGUAGES,
            households=known,
        )

    @get("/new", guards=[requires_page(Action.PATRON_CREATE)])
    async def new_form(self, request: Request, card: FromQuery[str | None] = None) -> Template:
        # "No library card or device has this code" at the desk links here with the card.
        card = normalize_code(card or "")[:MAX_CARD]
        return await self._form(request, None, await patrons.households(), card=card)

    @post("/new", status_code=200, guards=[requires_page(Action.PATRON_CREATE)])
    async def create(self, request: Request) -> Template | Redirect:
        check = FormCheck(await read_form(request))
        known = await patrons.households()
        values = await _new_values(check, known)
        if check.ok:
            now: datetime = request.app.state.clock()
            try:
                created = await patrons.create_patron(await page_actor(request), now, values)
            except Invalid as exc:
                check.refused(exc, FIELDS)
            except Conflict as exc:
                check.add("card_number", exc.detail)
            else:
                card = created.card_number
                return see_other(
                    request,
                    f"/desk?patron={quote(card, safe='')}",
                    flash=f"Patron added: {created.name}. Now scan each device to lend.",
                )
        return await self._form(request, check, known, status=422)
