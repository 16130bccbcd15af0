"""The resident portal (/my): a patron's own loans (with renew) and waitlist places (join,
cancel), in English or Spanish. Every action goes through the same services as /api/me, limited
to the logged-in patron; a refusal is shown in plain words from its stable error code."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from msgspec.structs import asdict

from ...circulation import OVERDUE, Conflict, Invalid, LendingError, LoanStatus, NotFound
from ...circulation.permissions import Action
from ...schemas.base import HoldOut, LoanOut, PatronOut
from ...services.actors import Actor
from ...services.circulation import holds
from ...services.circulation import transactions as circulation
from ...services.library.branches import list_branches
from ...services.library.policies import all_policies
from ...services.people import patrons
from ..dates import format_when
from ..i18n import translator
from ..pages import language_of, read_form, render, requires_page, see_other
from ..sessions import page_actor

__all__ = ["ResidentController", "refusal_text"]

MAX_ID = 2**31 - 1
RENEWABLE = (LoanStatus.ACTIVE, OVERDUE)


def _id(raw: str) -> int | None:
    """A row id from a path, or None when it is not one (so it reads as "not found")."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None


def refusal_text(t: Any, code: str, **values: Any) -> str:
    """A refusal's code in plain words in the page language (a generic sentence for codes
    without their own text)."""
    key = f"refusal_{code}"
    text = t(key, **values)
    return t("refusal_other") if text == key else text


class _Portal:
    """What one request knows: the patron, the page language and how to word things."""

    def __init__(self, request: Request, actor: Actor, me: PatronOut, now: datetime) -> None:
        self.request = request
        self.actor = actor
        self.me = me
        self.now = now
        self.settings = request.app.state.settings
        self.lang = language_of(request, me.language)
        self.t = translator(self.lang)
        self.branch_names: dict[str, str] = {}
        self.policies: dict[str, Any] = {}

    async def load_choices(self) -> None:
        branches = await list_branches(limit=500)
        self.branch_names = {b.code: b.name for b in branches.items}
        self.policies = {p.kind: p for p in await all_policies()}

    def when(self, value: Any) -> str:
        today = self.now.date()
        return format_when(value, self.lang, timezone=self.settings.timezone, today=today)

    def kind(self, kind: str) -> str:
        text = self.t(f"kind_{kind}")
        return kind.capitalize() if text == f"kind_{kind}" else text

    def branch(self, code: str | None) -> str:
        return self.branch_names.get(code or "", code or "")

    def loan(self, loan: LoanOut) -> dict[str, Any]:
        policy = self.policies.get(loan.kind)
        overdue_refused = bool(
            loan.status == OVERDUE and policy and not policy.resident_may_renew_overdue
        )
        used_up = bool(policy and loan.renewals >= policy.max_renewals)
        return {
            **asdict(loan),
            "kind_label": self.kind(loan.kind),
            "branch_label": self.branch(loan.branch),
            "due_text": self.when(loan.due_at),
            "max_renewals": policy.max_renewals if policy else None,
            "renewable": loan.status in RENEWABLE and not overdue_refused and not used_up,
            "renewals_used_up": used_up,
            # The library does not let residents renew an overdue loan: say so, no button.
            "renew_refused": self.t("refusal_overdue_renewal_refused") if overdue_refused else "",
        }

    def hold(self, hold: HoldOut) -> dict[str, Any]:
        return {
            **asdict(hold),
            "kind_label": self.kind(hold.kind),
            "branch_label": self.branch(hold.branch),
            "ready_text": self.when(hold.ready_until),
            "placed_text": self.when(hold.placed_at),
        }

    def kind_options(self) -> list[tuple[str, str]]:
        return [(k, self.kind(k)) for k in sorted(self.policies)]

    def branch_options(self) -> list[tuple[str, str]]:
        return sorted(self.branch_names.items(), key=lambda item: item[1].lower())

    def page(self, template: str, *, status: int = 200, **context: Any) -> Template:
        return render(
            self.request, template, status=status, language=self.lang, me=self.me, **context
        )

    def home(self, *, status: int = 200, refusal: str | None = None) -> Template:
        return self.page(
            "my/home.html",
            status=status,
            loans=[self.loan(loan) for loan in self.me.loans],
            holds=[self.hold(hold) for hold in self.me.holds],
            refusal=refusal,
            switch_next="/my",
        )

    def join_form(
        self,
        *,
        status: int = 200,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        refusal: str | None = None,
    ) -> Template:
        return self.page(
            "my/waitlist.html",
            status=status,
            errors=errors or {},
            values=values if values is not None else {"branch": self.me.branch or ""},
            kinds=[("", self.t("my_choose")), *self.kind_options()],
            branches=[("", self.t("my_choose")), *self.branch_options()],
            refusal=refusal,
            switch_next="/my/waitlist",
        )


async def _portal(request: Request) -> _Portal:
    actor = await page_actor(request)
    assert actor is not None and actor.patron_id is not None  # the self_service guard
    now = request.app.state.clock()
    me = await patrons.get_patron_by_id(actor.patron_id, now)
    portal = _Portal(request, actor, me, now)
    await portal.load_choices()
    return portal


async def _reload(portal: _Portal) -> None:
    """Read the patron again (after a refused change, so the page shows the current state)."""
    portal.me = await patrons.get_patron_by_id(portal.actor.patron_id or 0, portal.now)


class ResidentController(Controller):
    path = "/my"
    guards = [requires_page(Action.SELF_SERVICE)]
    include_in_schema = False

    @get("/")
    async def home(self, request: Request) -> Template:
        return (await _portal(request)).home()

    @post("/loans/{loan_id:str}/renew", status_code=200)
    async def renew(self, request: Request, loan_id: FromPath[str]) -> Template | Redirect:
        portal = await _portal(request)
        t = portal.t
        ident = _id(loan_id)
        loan = next((x for x in portal.me.loans if x.id == ident), None)
        if ident is None or loan is None:
            return portal.home(status=404, refusal=refusal_text(t, "loan_not_found"))
        try:
            reply = await circulation.renew(
                portal.actor, portal.now, ident, patron_id=portal.actor.patron_id
            )
        except (Conflict, NotFound) as refused:
            await _reload(portal)
            reason = refusal_text(t, refused.code, due=portal.when(loan.due_at))
            headline = t("my_not_renewed", kind=portal.kind(loan.kind), device=loan.device)
            return portal.home(status=refused.status, refusal=f"{headline} {reason}")
        renewed = reply.loan
        flash = t(
            "my_renewed",
            kind=portal.kind(renewed.kind),
            device=renewed.device,
            due=portal.when(renewed.due_at),
        )
        return see_other(request, "/my", flash=flash)

    @get("/waitlist")
    async def join_form(self, request: Request) -> Template:
        return (await _portal(request)).join_form()

    @post("/waitlist", status_code=200)
    async def join(self, request: Request) -> Template | Redirect:
        portal = await _portal(request)
        t = portal.t
        form = await read_form(request)
        kind = form.get("kind", "").strip()
        branch = form.get("branch", "").strip()
        errors: dict[str, str] = {}
        # Only values from the lists reach the service (and the database).
        if not kind:
            errors["kind"] = t("required")
        elif kind not in portal.policies:
            errors["kind"] = t("my_choose_from_list")
        if not branch:
            errors["branch"] = t("required")
        elif branch not in portal.branch_names:
            errors["branch"] = t("my_choose_from_list")
        values = {
            "kind": kind if kind in portal.policies else "",
            "branch": branch if branch in portal.branch_names else "",
        }
        if not errors:
            try:
                hold = await holds.place_hold(
                    portal.actor,
                    portal.now,
                    card_number=portal.me.card_number,
                    kind=kind,
                    branch_code=branch,
                )
            except Invalid as invalid:
                for error in invalid.errors:
                    field = error.field if error.field in ("kind", "branch") else "kind"
                    errors[field] = t("my_choose_from_list")
            except LendingError as refused:
                reason = f"{t('my_not_joined')} {refusal_text(t, refused.code)}"
                return portal.join_form(status=refused.status, values=values, refusal=reason)
            else:
                flash = t(
                    "my_joined",
                    kind=portal.kind(kind),
                    branch=portal.branch(branch),
                    position=hold.position or 1,
                )
                return see_other(request, "/my", flash=flash)
        return portal.join_form(
            status=422, errors=errors, values=values, refusal=t("my_fix_errors")
        )

    @post("/holds/{hold_id:str}/cancel", status_code=200)
    async def cancel(self, request: Request, hold_id: FromPath[str]) -> Template | Redirect:
        portal = await _portal(request)
        t = portal.t
        ident = _id(hold_id)
        hold = next((x for x in portal.me.holds if x.id == ident), None)
        if ident is None or hold is None:
            return portal.home(status=404, refusal=refusal_text(t, "hold_not_found"))
        if (await read_form(request)).get("confirm") != "yes":
            # A tap on "Cancel" on a phone is easy to make: ask before leaving the line.
            return portal.page("my/cancel.html", hold=portal.hold(hold))
        try:
            await holds.cancel_hold(
                portal.actor, portal.now, ident, patron_id=portal.actor.patron_id
            )
        except (Conflict, NotFound) as refused:
            await _reload(portal)
            reason = f"{t('my_not_cancelled')} {refusal_text(t, refused.code)}"
            return portal.home(status=refused.status, refusal=reason)
        flash = t("my_cancelled", kind=portal.kind(hold.kind), branch=portal.branch(hold.branch))
        return see_other(request, "/my", flash=flash)
