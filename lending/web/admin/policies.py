"""Admin console: the loan policy editor, one form per device kind. The values go to
lending.services.library.policies.put_policy (as PUT /api/policies/{kind} does), which checks the whole
policy and records the change in the audit trail."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from ...circulation import KINDS, Invalid, NotFound
from ...circulation.codes import Code
from ...circulation.permissions import Action
from ...schemas.base import PolicyOut
from ...services.library import policies
from ..pages import read_form, render, requires_page, see_other
from ..sessions import page_actor
from .fields import FormCheck

__all__ = ["AdminPolicyController"]

MAX_COUNT = 3650  # as the API (lending/http/schemas.py Count)
MAX_STAGES = 20

# (field, label, hint) for the whole-number fields, in form order.
COUNT_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("loan_days", "Loan days", "Days from checkout to the due date."),
    ("renewal_days", "Renewal days", "Days a renewal adds."),
    ("max_renewals", "Renewals allowed", "0 for none."),
    (
        "max_active_loans_per_patron",
        "Loans per patron",
        "Devices of this kind one patron may have.",
    ),
    (
        "max_active_loans_per_household",
        "Loans per household",
        "At least the loans per patron.",
    ),
    ("hold_pickup_days", "Hold pickup days", "Days a ready hold waits on the hold shelf."),
    ("reminder_days_before_due", "Reminder days before due", "0 for no reminder."),
    (
        "suspend_line_after_days",
        "Suspend line after days overdue",
        "Hotspots: 0 suspends the line as soon as the loan is overdue.",
    ),
    ("lost_after_days", "Lost after days overdue", "The device is then marked lost."),
    (
        "overdue_blocks_checkout_after_days",
        "Refuse checkout after days overdue",
        "0: any overdue loan refuses a checkout of this kind.",
    ),
)
# Overdue patrons (issue 12): whose overdue loans refuse a checkout of this kind, and who may
# renew an overdue loan of this kind.
OVERDUE_SCOPES = (
    ("patron", "The patron's own overdue loans"),
    ("household", "The overdue loans of anyone in the patron's household"),
    ("off", "None: overdue loans never refuse a checkout"),
)
FLAGS = (
    ("auto_renew", "Renew automatically when nobody is waiting"),
    ("staff_may_renew_overdue", "Staff may renew an overdue loan"),
    ("resident_may_renew_overdue", "Residents may renew an overdue loan themselves (at /my)"),
)
# Fields added after the first version of the form: a post without them (an older page still
# open, a script) keeps their stored values.
KEPT_WHEN_LEFT_OUT = frozenset({"overdue_blocks_checkout", "overdue_blocks_checkout_after_days"})
FIELDS = (
    *(name for name, _, _ in COUNT_FIELDS),
    *(name for name, _ in FLAGS),
    "overdue_notice_days",
    "overdue_blocks_checkout",
)


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise NotFound(f"There is no device kind {kind[:40]!r}.", Code.KIND_NOT_FOUND)
    return kind


def _as_form(policy: PolicyOut) -> dict[str, str]:
    values = {name: str(getattr(policy, name)) for name, _, _ in COUNT_FIELDS}
    for name, _ in FLAGS:
        values[name] = "yes" if getattr(policy, name) else ""
    values["overdue_blocks_checkout"] = policy.overdue_blocks_checkout
    values["overdue_notice_days"] = ", ".join(str(d) for d in policy.overdue_notice_days)
    return values


def _policy_values(check: FormCheck) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: check.whole(name, low=0, high=MAX_COUNT)
        for name, _, _ in COUNT_FIELDS
        if name in check.form or name not in KEPT_WHEN_LEFT_OUT
    }
    for name, _ in FLAGS:
        values[name] = check.form.get(name) == "yes"
    if "overdue_blocks_checkout" in check.form:
        values["overdue_blocks_checkout"] = check.choice(
            "overdue_blocks_checkout",
            [value for value, _ in OVERDUE_SCOPES],
            "Choose whose overdue loans refuse a checkout.",
        )
    raw = check.form.get("overdue_notice_days", "").replace(";", ",")
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if len(parts) > MAX_STAGES:
        check.add("overdue_notice_days", f"At most {MAX_STAGES} days.")
    elif not all(p.isascii() and p.isdigit() and len(p) <= 5 for p in parts):
        check.add(
            "overdue_notice_days", "Enter whole numbers of days separated by commas, like 1, 7, 14."
        )
    else:
        values["overdue_notice_days"] = [int(p) for p in parts]
    return values


class AdminPolicyController(Controller):
    path = "/admin/policies"
    include_in_schema = False

    async def _page(
        self,
        request: Request,
        failed: tuple[str, FormCheck] | None = None,
        status: int = 200,
    ) -> Template:
        forms = []
        for policy in await policies.list_policies():
            kind = policy.kind
            if failed and failed[0] == kind:
                values, errors = failed[1].values, failed[1].errors
            else:
                values, errors = _as_form(policy), {}
            forms.append({"kind": kind, "values": values, "errors": errors})
        return render(
            request,
            "admin/policies.html",
            status=status,
            forms=forms,
            count_fields=COUNT_FIELDS,
            flags=FLAGS,
            overdue_scopes=OVERDUE_SCOPES,
        )

    @get("/", guards=[requires_page(Action.POLICY_READ)])
    async def show(self, request: Request) -> Template:
        return await self._page(request)

    @post("/{kind:str}", status_code=200, guards=[requires_page(Action.POLICY_EDIT)])
    async def save(self, request: Request, kind: FromPath[str]) -> Template | Redirect:
        kind = _kind(kind)
        check = FormCheck(await read_form(request))
        values = _policy_values(check)
        if check.ok:
            try:
                await policies.put_policy(
                    await page_actor(request), request.app.state.clock(), kind, values
                )
            except Invalid as exc:
                check.refused(exc, FIELDS)
                labels = {name: label.lower() for name, label, _ in COUNT_FIELDS}
                for field, message in check.errors.items():
                    for name, label in labels.items():
                        message = message.replace(name, f"the {label}")
                    check.errors[field] = message
            else:
                return see_other(
                    request, f"/admin/policies#policy-{kind}", flash=f"The {kind} policy is saved."
                )
        return await self._page(request, failed=(kind, check), status=422)
