"""Admin console: shelf audits (lending.services.inventory.shelf_audits) and the "not seen for N days" report
(lending.services.inventory.sightings).

The scanning page works like the desk: without JavaScript each scan is a form post answered with
the whole page; `static/audit.js` sends scans with fetch(), one at a time in order, and swaps in
the fragment the server renders (the scan's result and the live lists with their counts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from ...circulation import KINDS, Conflict, Invalid, LendingError, NotFound, ShelfAuditStatus
from ...circulation.codes import Code
from ...circulation.inventory import DUPLICATE, FOUND, MISSING, ON_LOAN, OTHER_BRANCH, UNKNOWN
from ...circulation.permissions import Action
from ...schemas.base import MAX_ID, BranchOut
from ...schemas.inventory import AuditItemOut, AuditOut, NotSeenList, ScanOut
from ...services.actors import Actor
from ...services.inventory import shelf_audits as audits
from ...services.inventory import sightings
from ...services.library import branches
from ..desk.scan import Result, checkin_scan, clean_code
from ..pages import read_form, render, requires_page, see_other
from ..sessions import page_actor
from .fields import PAGE_SIZE, FormCheck, local_time, page_window

__all__ = ["AdminAuditController", "AdminInventoryController"]

FRAGMENT_HEADER = "x-audit-fragment"  # sent by audit.js: answer with the fragment only
MAX_LOCATION = 100  # as the API (lending/http/schemas.py Location)
MAX_BRANCH = 100
MAX_REASON = 500  # as AuditCloseIn.reason
LIST_LIMIT = 500  # items shown per list (the count is always the full one)
STATUSES = tuple(ShelfAuditStatus)
# (list, heading, what it means), in the order shown.
LISTS: tuple[tuple[str, str, str], ...] = (
    (FOUND, "Found", "On the shelf where they belong."),
    (OTHER_BRANCH, "Other branch", "Belong to another branch: send them home."),
    (ON_LOAN, "On loan", "Still on loan to someone: check them in."),
    (UNKNOWN, "Unknown barcodes", "No device has these codes."),
    (DUPLICATE, "Duplicate scans", "Scanned more than once."),
)
MISSING_LIST = (MISSING, "Missing", "Expected on the shelf but not scanned.")
RESULT_WORDS = {
    FOUND: ("ok", "Found"),
    OTHER_BRANCH: ("warn", "Other branch"),
    ON_LOAN: ("warn", "On loan"),
    UNKNOWN: ("bad", "Unknown barcode"),
    DUPLICATE: ("warn", "Duplicate scan"),
}


def audit_id_of(raw: str) -> int:
    """The id from the address, or a 404 page for anything that is not one."""
    text = raw.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 10 and 1 <= int(text) <= MAX_ID):
        raise NotFound(f"No shelf audit with id {text[:20]!r}.", Code.AUDIT_NOT_FOUND)
    return int(text)


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) < 7 else 1


async def _branch_codes() -> list[BranchOut]:
    return (await branches.list_branches(500, 0)).items


def _scan_result(view: ScanOut) -> Result:
    """A scan's answer from the service, in words."""
    kind, title = RESULT_WORDS.get(view.list, ("warn", view.list))
    code = view.barcode
    device = view.device
    lines = []
    if device:
        where = device.branch + (f", {device.location}" if device.location else "")
        lines.append(f"{device.kind.capitalize()} · {device.model} · {where}.")
    if view.list == ON_LOAN:
        lines.append("Check it in with the button in the On loan list.")
    elif view.list == OTHER_BRANCH:
        lines.append("Send it back to its branch.")
    elif view.list == UNKNOWN:
        lines.append("No device has this code: check the label.")
    elif view.list == DUPLICATE:
        lines.append("Already scanned in this audit: counted once.")
    return Result(kind, f"{title}: {code}", lines, code, view.list)


async def audit_lists(audit: AuditOut) -> list[dict[str, Any]]:
    """Every list of the audit, with its count and (up to LIST_LIMIT of) its items."""
    is_open = audit.status == ShelfAuditStatus.OPEN
    shown = list(LISTS) if is_open else [MISSING_LIST, *LISTS]  # missing first
    lists = []
    for name, heading, hint in shown:
        page = await audits.list_audit_items(audit.id, name, LIST_LIMIT, 0)
        items: list[AuditItemOut] = page.items
        lists.append(
            {
                "name": name,
                "heading": heading,
                "hint": hint,
                "count": audit.counts.get(name, page.total),
                "items": items,
                "show_status": name == MISSING,  # where the missing devices are now
                "offer_checkin": name == ON_LOAN,
            }
        )
    return lists


class AdminAuditController(Controller):
    path = "/admin/audits"
    include_in_schema = False

    async def _list(
        self,
        request: Request,
        page: str | None,
        status: str | None,
        check: FormCheck | None = None,
        code: int = 200,
    ) -> Template:
        number = _page_number(page)
        chosen = status if status in STATUSES else None
        found = await audits.list_audits(
            branch=None, status=chosen, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE
        )
        return render(
            request,
            "admin/audits.html",
            status=code,
            audits=found.items,
            status_filter=chosen or "",
            statuses=STATUSES,
            open_status=ShelfAuditStatus.OPEN,
            window=page_window(request, found.total, number),
            branches=await _branch_codes(),
            values=check.values if check else {},
            errors=check.errors if check else {},
        )

    @get("/", guards=[requires_page(Action.AUDIT_RUN)])
    async def index(
        self,
        request: Request,
        page: FromQuery[str | None] = None,
        status: FromQuery[str | None] = None,
    ) -> Template:
        return await self._list(request, page, status)

    @post("/", status_code=200, guards=[requires_page(Action.AUDIT_RUN)])
    async def start(self, request: Request) -> Template | Redirect:
        check = FormCheck(await read_form(request))
        branch = check.text("branch", max_len=MAX_BRANCH, required="Choose the branch to audit.")
        location = check.text("location", max_len=MAX_LOCATION)
        if check.ok:
            try:
                started = await audits.start_audit(
                    await page_actor(request),
                    request.app.state.clock(),
                    branch_code=branch,  # type: ignore[arg-type]
                    location=location,
                )
            except Invalid as exc:
                check.refused(exc, ("branch", "location"))
            except Conflict as exc:
                check.add("location", exc.detail)
            else:
                return see_other(
                    request,
                    f"/admin/audits/{started.id}",
                    flash=f"Audit {started.id} started: scan every device on the shelf.",
                )
        return await self._list(request, None, None, check, code=422)

    async def _audit_page(
        self,
        request: Request,
        audit_id: int,
        *,
        result: Result | None = None,
        check: FormCheck | None = None,
        status: int = 200,
        fragment: bool = False,
    ) -> Template:
        audit = await audits.get_audit(audit_id)
        timezone = request.app.state.settings.timezone
        return render(
            request,
            "admin/_audit_scan.html" if fragment else "admin/audit.html",
            status=status,
            audit=audit,
            lists=await audit_lists(audit),
            result=result,
            is_open=audit.status == ShelfAuditStatus.OPEN,
            is_closed=audit.status == ShelfAuditStatus.CLOSED,
            started=local_time(audit.started_at, timezone),
            closed=local_time(audit.closed_at, timezone),
            values=check.values if check else {},
            errors=check.errors if check else {},
        )

    @get("/{audit_id:str}", guards=[requires_page(Action.AUDIT_RUN)])
    async def show(self, request: Request, audit_id: FromPath[str]) -> Template:
        return await self._audit_page(request, audit_id_of(audit_id))

    @post("/{audit_id:str}/scans", status_code=200, guards=[requires_page(Action.AUDIT_RUN)])
    async def scan(self, request: Request, audit_id: FromPath[str]) -> Template:
        """One scan: the result and the live lists (the fragment for audit.js)."""
        number = audit_id_of(audit_id)
        form = await read_form(request)
        code, result = clean_code(form.get("barcode", ""))
        if result is None:
            try:
                view = await audits.scan(
                    await page_actor(request), request.app.state.clock(), number, code
                )
            except Conflict as exc:
                result = Result("bad", f"Not recorded: {code}", [exc.detail], code, "refused")
            else:
                result = _scan_result(view)
        fragment = bool(request.headers.get(FRAGMENT_HEADER))
        return await self._audit_page(request, number, result=result, fragment=fragment)

    @post("/{audit_id:str}/checkin", status_code=200, guards=[requires_page(Action.CHECKIN)])
    async def check_in(self, request: Request, audit_id: FromPath[str]) -> Redirect:
        """Check in a device found on the shelf while still on loan (the circulation service)."""
        number = audit_id_of(audit_id)
        await audits.get_audit(number)
        form = await read_form(request)
        code, refused = clean_code(form.get("barcode", ""))
        actor: Actor = await page_actor(request)  # type: ignore[assignment]
        now: datetime = request.app.state.clock()
        result = refused or await checkin_scan(actor, now, code)
        message = result.title + (": " + " ".join(result.lines) if result.lines else "")
        return see_other(request, f"/admin/audits/{number}#list-on_loan", flash=message)

    @post("/{audit_id:str}/close", status_code=200, guards=[requires_page(Action.AUDIT_RUN)])
    async def close(self, request: Request, audit_id: FromPath[str]) -> Template | Redirect:
        number = audit_id_of(audit_id)
        check = FormCheck(await read_form(request))
        mark = check.form.get("mark_missing_lost") == "yes"
        check.values["mark_missing_lost"] = "yes" if mark else ""
        reason = check.text("reason", max_len=MAX_REASON)
        if mark and not reason and "reason" not in check.errors:
            check.add("reason", "Give a reason to mark the missing devices lost.")
        if check.ok:
            try:
                closed = await audits.close_audit(
                    await page_actor(request),
                    request.app.state.clock(),
                    number,
                    mark_missing_lost=mark,
                    reason=reason,
                )
            except Invalid as exc:
                check.refused(exc, ("reason",))
            except Conflict as exc:
                check.add("form", exc.detail)
            else:
                missing = closed.counts.get(MISSING, 0)
                lost = " and marked lost" if mark and missing else ""
                return see_other(
                    request,
                    f"/admin/audits/{number}",
                    flash=f"Audit {number} closed: {missing} device(s) missing{lost}.",
                )
        return await self._audit_page(request, number, check=check, status=422)

    @post("/{audit_id:str}/cancel", status_code=200, guards=[requires_page(Action.AUDIT_RUN)])
    async def cancel(self, request: Request, audit_id: FromPath[str]) -> Template | Redirect:
        number = audit_id_of(audit_id)
        try:
            await audits.cancel_audit(await page_actor(request), request.app.state.clock(), number)
        except Conflict as exc:
            check = FormCheck({})
            check.add("form", exc.detail)
            return await self._audit_page(request, number, check=check, status=409)
        return see_other(request, f"/admin/audits/{number}", flash=f"Audit {number} cancelled.")


class AdminInventoryController(Controller):
    path = "/admin/inventory"
    guards = [requires_page(Action.DEVICE_READ)]
    include_in_schema = False

    @get("/not-seen")
    async def not_seen(
        self,
        request: Request,
        days: FromQuery[str | None] = None,
        branch: FromQuery[str | None] = None,
        kind: FromQuery[str | None] = None,
        page: FromQuery[str | None] = None,
    ) -> Template:
        """Devices not checked in or scanned for N days (30 when not given)."""
        form = {"days": days if days is not None else "30", "branch": branch or "", "kind": ""}
        check = FormCheck({k: v[:200] for k, v in form.items()})
        number_of_days = check.whole("days", low=0, high=3650)
        chosen_kind = kind if kind in KINDS else None
        check.values["kind"] = chosen_kind or ""
        codes = await _branch_codes()
        chosen_branch = branch if branch in {b.code for b in codes} else None
        check.values["branch"] = chosen_branch or ""
        number = _page_number(page)
        found = NotSeenList(items=[], total=0)
        if number_of_days is not None:
            try:
                found = await sightings.not_seen(
                    request.app.state.clock(),
                    days=number_of_days,
                    branch=chosen_branch,
                    kind=chosen_kind,
                    status=None,
                    limit=PAGE_SIZE,
                    offset=(number - 1) * PAGE_SIZE,
                )
            except LendingError as exc:  # a refusal is shown by the field, never a 5xx
                check.add("days", exc.detail)
        timezone = request.app.state.settings.timezone
        return render(
            request,
            "admin/not_seen.html",
            status=200 if check.ok else 422,
            devices=found.items,
            seen=[local_time(item.last_seen_at, timezone) for item in found.items],
            total=found.total,
            window=page_window(request, found.total, number),
            branches=codes,
            kinds=KINDS,
            values=check.values,
            errors=check.errors,
            days=number_of_days,
        )
