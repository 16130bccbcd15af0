"""The circulation desk (/desk, staff): checkout and checkin by scanner, renewals from the
patron panel, and printable checkout receipts.

The page works without JavaScript (each scan is a form post that answers with the whole page);
`static/desk.js` turns scans into fetch() requests, one at a time in the order they were made,
and swaps in the HTML fragment the server renders (the result and the patron panel)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from ...circulation import OVERDUE, HoldStatus, NotFound, card_standing, normalize_code
from ...circulation.codes import Code
from ...circulation.permissions import Action, require
from ...schemas.base import MAX_ID
from ...services._common.render import local_time, zone
from ...services.actors import Actor
from ...services.circulation.holds import hold_rows
from ...services.circulation.receipts import loan_receipt
from ...services.circulation.transactions import overdue_loans
from ...services.people.patrons import get_patron, patron_by_card
from ...services.programs.catalog import list_programs
from ..dates import format_date
from ..pages import read_form, render, requires_page
from ..sessions import page_actor
from .kit import record_kit
from .scan import (
    ACTION_LABELS,
    MAX_CODE,
    MODES,
    Result,
    checkin_scan,
    checkout_scan,
    clean_code,
    renew_loan,
    slip_name,
    when,
)

__all__ = ["DeskController"]

FRAGMENT_HEADER = "x-desk-fragment"  # sent by desk.js: answer with the fragment, not the page
MAX_RECEIPT_LOANS = 20
PROGRAM_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")  # as the API's program codes
MAX_PROGRAMS = 100


def _mode(value: str | None) -> str:
    return value if value in MODES else "checkout"


async def _programs(actor: Actor | None, now: datetime, timezone: str) -> list[tuple[str, str]]:
    """The programs running today that the actor may lend under (partner staff: their
    partner's), for the desk's Program list: (code, "Name (CODE)")."""
    if actor is None:
        return []
    today = now.astimezone(zone(timezone)).date()
    found = await list_programs(actor, limit=MAX_PROGRAMS)
    return [
        (p.code, f"{p.name} ({p.code})")
        for p in found.items
        if p.starts_on <= today and (p.ends_on is None or p.ends_on >= today)
    ]


def _program(raw: str | None) -> tuple[str | None, Result | None]:
    """The program chosen at the desk (None: none chosen), or a red result for a value the
    list never offers."""
    value = (raw or "").strip()
    if not value:
        return None, None
    if not PROGRAM_CODE.match(value):
        return None, Result(
            "bad", "Choose a program from the list", ["Then scan the device again."], "", "invalid"
        )
    return value, None


async def _selected(raw: str | None) -> dict[str, Any] | None:
    """The patron whose card the desk has selected (from the form), or None."""
    card = normalize_code((raw or "")[:200])
    if not card or len(card) > MAX_CODE:
        return None
    try:
        return await patron_by_card(card)
    except NotFound:
        return None


async def _panel(patron: dict[str, Any] | None, now: datetime, timezone: str) -> dict | None:
    """What the patron panel shows: name, blocks and why, expiry, loans, holds."""
    if patron is None:
        return None
    try:
        view = await get_patron(patron["card_number"], now)
    except NotFound:
        return None
    today = now.astimezone(zone(timezone)).date()
    expires = patron["expires_on"]
    standing = card_standing(patron["blocked"], expires, today)
    loans = [
        {
            "id": loan.id,
            "device": loan.device,
            "kind": loan.kind,
            "due": when(loan.due_at),
            "overdue": loan.status == OVERDUE,
            "renewals": loan.renewals,
            # checked out today, on the branch's calendar (the loan's time is in its zone)
            "today": loan.checked_out_at.date() == today,
        }
        for loan in view.loans
    ]
    holds = view.holds
    return {
        "card": view.card_number,
        "name": view.name,
        "blocked": view.blocked,
        "block_reason": view.block_reason,
        "language": view.language,
        "expires": format_date(expires, "en", today=today) if expires else None,
        "expired": standing.expired,
        "expiring": standing.expiring,
        "days_left": standing.days_left,
        "overdue": [loan for loan in loans if loan["overdue"]],
        # Overdue loans of others in the household (they can refuse a checkout, by policy).
        "household_overdue": [
            {"device": loan.device, "kind": loan.kind, "due": when(loan.due_at)}
            for loan in await overdue_loans(patron["id"], patron["household"], now)
            if not loan.own
        ],
        "loans": loans,
        "ready": [
            {"device": h.device, "kind": h.kind, "until": when(h.ready_until)}
            for h in holds
            if h.status == HoldStatus.READY
        ],
        "waiting": [h for h in holds if h.status == HoldStatus.WAITING],
        "receipt_ids": ",".join(
            str(i) for i in sorted(loan["id"] for loan in loans if loan["today"])
        ),
    }


async def _answer(
    request: Request,
    mode: str,
    result: Result,
    patron: dict[str, Any] | None,
    program: str | None = None,
) -> Template:
    now = request.app.state.clock()
    timezone = request.app.state.settings.timezone
    panel = await _panel(patron, now, timezone)
    fragment = bool(request.headers.get(FRAGMENT_HEADER))
    programs = [] if fragment else await _programs(await page_actor(request), now, timezone)
    return render(
        request,
        "desk/_scan.html" if fragment else "desk/index.html",
        mode=mode,
        result=result,
        panel=panel,
        todo_labels=ACTION_LABELS,
        programs=programs,
        program=program or "",
    )


def _small_id(text: str) -> bool:
    return text.isdigit() and len(text) <= 10


def _loan_ids(text: str) -> list[int]:
    """ "12,13" -> [12, 13]; anything else is no receipt at all (404)."""
    parts = text.split(",")
    if not text or len(parts) > MAX_RECEIPT_LOANS or not all(_small_id(p) for p in parts):
        raise NotFound("There is no receipt at this address.", Code.RECEIPT_NOT_FOUND)
    ids = [int(p) for p in parts]
    if any(not 1 <= i <= MAX_ID for i in ids):
        raise NotFound("There is no receipt at this address.", Code.RECEIPT_NOT_FOUND)
    return list(dict.fromkeys(ids))


_MAIN = re.compile(r"<main>(.*)</main>", re.S)
_STYLE = re.compile(r"<style>(.*)</style>", re.S)
_LANG = re.compile(r'<html lang="([a-z]{2})"')


class DeskController(Controller):
    path = "/desk"
    include_in_schema = False

    @get("/", guards=[requires_page(Action.CHECKOUT, Action.CHECKIN)])
    async def desk(
        self,
        request: Request,
        mode: FromQuery[str | None] = None,
        patron: FromQuery[str | None] = None,
    ) -> Template:
        """The desk; `?patron=CARD` (from the patron search or a new registration) selects
        that patron, as scanning their card would."""
        selected = await _selected(patron) if patron else None
        now = request.app.state.clock()
        timezone = request.app.state.settings.timezone
        panel = await _panel(selected, now, timezone) if selected is not None else None
        return render(
            request,
            "desk/index.html",
            mode=_mode(mode),
            result=None,
            panel=panel,
            todo_labels=ACTION_LABELS,
            programs=await _programs(await page_actor(request), now, timezone),
            program="",
        )

    @post("/scan", status_code=200, guards=[requires_page(Action.CHECKOUT, Action.CHECKIN)])
    async def scan(self, request: Request) -> Template:
        """One scan: mode, the selected patron's card (if any) and the scanned code."""
        form = await read_form(request)
        mode = _mode(form.get("mode"))
        actor = await page_actor(request)
        require(actor.role, Action.CHECKOUT if mode == "checkout" else Action.CHECKIN)
        now = request.app.state.clock()
        patron = await _selected(form.get("patron"))
        code, result = clean_code(form.get("code", ""))
        program, refused = _program(form.get("program"))
        settings = request.app.state.settings
        if result is None:
            if mode == "checkout":
                result = refused
                if result is None:
                    result, patron = await checkout_scan(
                        actor, now, code, patron, settings.timezone, program, settings=settings
                    )
            else:
                result = await checkin_scan(actor, now, code, settings.hold_slip_name)
        return await _answer(request, mode, result, patron, program)

    @post("/renew", status_code=200, guards=[requires_page(Action.RENEW)])
    async def renew(self, request: Request) -> Template:
        """Renew one loan from the patron panel."""
        form = await read_form(request)
        patron = await _selected(form.get("patron"))
        raw = form.get("loan", "").strip()
        device = normalize_code(form.get("device", ""))[:MAX_CODE]
        if not (raw.isdigit() and len(raw) <= 10 and 1 <= int(raw) <= MAX_ID):
            result = Result("bad", "That loan cannot be found", ["Scan the card again."])
        else:
            actor = await page_actor(request)
            now = request.app.state.clock()
            result = await renew_loan(actor, now, int(raw), patron, device)
        return await _answer(request, "checkout", result, patron)

    @post("/kit", status_code=200, guards=[requires_page(Action.CHECKIN)])
    async def kit(self, request: Request) -> Template:
        """A checked-in loan's kit checklist: each part returned, missing or damaged, and
        whether the device itself is damaged (lending.web.desk.kit)."""
        form = await read_form(request)
        patron = await _selected(form.get("patron"))
        actor = await page_actor(request)
        result = await record_kit(actor, request.app.state.clock(), form)  # type: ignore[arg-type]
        return await _answer(request, "checkin", result, patron)

    @get("/hold-slip/{hold_id:int}", guards=[requires_page(Action.HOLD_MANAGE)])
    async def hold_slip(self, request: Request, hold_id: FromPath[int]) -> Template:
        """A printable slip for a device set aside on the hold shelf: the patron as the library
        names them on slips (LENDING_HOLD_SLIP_NAME), the device, and the pickup deadline in
        the branch's time zone."""
        rows = await hold_rows(hold_id=hold_id, open_only=False) if 1 <= hold_id <= MAX_ID else []
        if not rows or rows[0]["status"] != HoldStatus.READY:
            raise NotFound("This hold is not on the hold shelf.", Code.HOLD_NOT_FOUND)
        hold = rows[0]
        patron = await patron_by_card(hold["patron_card"])
        slip = {
            "hold": hold_id,
            "device": hold["device_barcode"],
            "kind": hold["kind"],
            "name": slip_name(patron["name"], request.app.state.settings.hold_slip_name),
            "until": when(local_time(hold["ready_until"], hold["branch_timezone"])),
        }
        return render(request, "desk/hold_slip.html", slip=slip)

    @get("/receipt/{loans:str}", guards=[requires_page(Action.RECEIPT_PRINT)])
    async def receipt(self, request: Request, loans: FromPath[str]) -> Template:
        """Printable checkout receipts (lending/printing) for these loans, "12,13", in the
        patron's language, each with a link to its 80 mm PDF."""
        settings = request.app.state.settings
        parts, style, lang = [], "", "en"
        for loan_id in _loan_ids(loans):
            html = (await loan_receipt(settings, loan_id, "html"))[0].decode()
            body = _MAIN.search(html)
            parts.append({"id": loan_id, "html": body.group(1) if body else ""})
            if len(parts) == 1:  # the receipts of one checkout share the patron's language
                style_match, lang_match = _STYLE.search(html), _LANG.search(html)
                style = style_match.group(1) if style_match else ""
                lang = lang_match.group(1) if lang_match else "en"
        return render(
            request, "desk/receipt.html", receipts=parts, receipt_style=style, receipt_lang=lang
        )

    @get("/receipt/{loan_id:int}/pdf", guards=[requires_page(Action.RECEIPT_PRINT)])
    async def receipt_pdf(self, request: Request, loan_id: FromPath[int]) -> Response[bytes]:
        if not 1 <= loan_id <= MAX_ID:
            raise NotFound("There is no receipt at this address.", Code.RECEIPT_NOT_FOUND)
        content, media_type = await loan_receipt(request.app.state.settings, loan_id, "pdf")
        return Response(
            content,
            media_type=media_type,
            headers={
                "content-disposition": f'inline; filename="receipt-{loan_id}.pdf"',
                "cache-control": "no-store",
            },
        )
