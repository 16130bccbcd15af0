"""Admin console: partner organisations and their programs (terms, stock, enrolments, borrower
agreements, training sessions with attendance by card scan, the monthly report), through
lending.services.programs. Partner staff reach only their partner's programs: the services
narrow every call made with the page's actor."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from ...circulation import (
    KINDS,
    Conflict,
    FieldError,
    Forbidden,
    Invalid,
    NotFound,
    normalize_code,
)
from ...circulation.codes import Code
from ...circulation.permissions import Action, allows
from ...circulation.programs import EnrolmentMethod
from ...schemas.base import MAX_ID
from ...schemas.programs import ProgramOut, TermsIn
from ...services._common.render import zone
from ...services.library import service_points
from ...services.programs import catalog, enrolments, partners, reports, training
from ..pages import read_form, render, requires_page, see_other
from ..program_words import standing_words
from ..sessions import page_actor
from .fields import PAGE_SIZE, FormCheck, page_window

__all__ = ["AdminProgramController"]

CODE = re.compile(r"^[A-Za-z0-9_.-]+$")  # as the API (schemas/programs.py ProgramCode)
MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
MAX_CODE = 32
MAX_TEXT = 200
MAX_CARD = 64  # a barcode or card number, as the API cleans it
MAX_VERSION = 32
MAX_STOCK = 1000
METHOD_NAMES = {
    EnrolmentMethod.HOUSING_LEASE: "Housing lease",
    EnrolmentMethod.SCHOOL: "School enrolment",
    EnrolmentMethod.CASEWORKER_REFERRAL: "Caseworker referral",
    EnrolmentMethod.SELF_ATTESTATION: "Self-attestation",
}
METHODS = tuple(m.value for m in METHOD_NAMES)
# A program's terms per kind, as the form asks them: (field, label, lowest, highest).
TERM_FIELDS = (
    ("loan_days", "Loan days", 1, 3650),
    ("max_renewals", "Renewals", 0, 100),
    ("household_limit", "Devices per household", 1, 100),
    ("quota", "Quota (devices out at once)", 0, 100_000),
)
PROGRAM_FIELDS = (
    "code",
    "name",
    "funder",
    "starts_on",
    "ends_on",
    "kinds",
    "partners",
    "points",
    "training_hours",
    "agreement_version",
    "agreement_expires_on",
)
SESSION_FIELDS = ("topic", "starts_at", "hours", "capacity", "service_point")
REPORT_COLUMNS = (
    ("households", "Households"),
    ("loans", "Loans"),
    ("loan_days", "Loan days"),
    ("devices", "Devices"),
    ("renewals", "Renewals"),
    ("overdue", "Overdue"),
    ("lost", "Lost"),
    ("sessions", "Sessions"),
    ("attendance", "Attendance"),
)


def _code(raw: str) -> str:
    code = raw.strip()
    if not code or len(code) > MAX_CODE or not CODE.match(code):
        raise NotFound(f"No program with code {code[:40]!r}.", Code.PROGRAM_NOT_FOUND)
    return code


def _session_id(session: int) -> int:
    if not 1 <= session <= MAX_ID:
        raise NotFound("The program has no such training session.", Code.SESSION_NOT_FOUND)
    return session


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) < 7 else 1


def _short_code(check: FormCheck, name: str, required: str) -> str | None:
    value = check.text(name, max_len=MAX_CODE, required=required)
    if value and not CODE.match(value):
        check.add(name, "Use letters, digits, dots, dashes and underscores only.")
        return None
    return value


def _card(check: FormCheck, name: str) -> str | None:
    """A library card as typed or scanned (a scanner's Enter, Tab or spaces cleaned off)."""
    raw = check.text(name, max_len=MAX_CARD + 20, required="Scan or type the library card.")
    if raw is None:
        return None
    card = normalize_code(raw)
    if not card or len(card) > MAX_CARD:
        check.add(name, f"A card number has 1 to {MAX_CARD} characters.")
        return None
    return card


def _decimal(
    check: FormCheck, name: str, *, high: float, empty: float | None, positive: bool = False
) -> float | None:
    """A number of hours like 1 or 1.5; `empty`: the value when left empty (None: required)."""
    raw = check.form.get(name, "").strip()
    if not raw:
        if empty is None:
            check.add(name, "Enter a number of hours, like 1 or 1.5.")
        return empty
    value = float(raw) if len(raw) <= 12 and raw.replace(".", "", 1).isdigit() else None
    if value is None or value > high or (positive and value == 0):
        low = "above 0" if positive else "from 0"
        check.add(name, f"Enter a number of hours {low} up to {high:g}, like 1 or 1.5.")
        return None
    return value


def _renamed(exc: Invalid, into: str | None = None) -> Invalid:
    """The service's field errors on the form's fields: "kinds[0]" and "terms.laptop" belong
    to kinds and terms, "devices[3]" to the one devices field (`into`)."""
    return Invalid(
        [FieldError(into or e.field.split("[")[0].split(".")[0], e.message) for e in exc.errors]
    )


def _optional_whole(check: FormCheck, name: str, low: int, high: int) -> int | None:
    if not check.form.get(name, "").strip():
        return None
    return check.whole(name, low=low, high=high)


def _words(check: FormCheck, name: str, max_items: int) -> list[str]:
    """Codes separated by spaces or commas (as a scanner or a person types them)."""
    raw = check.text(name, max_len=MAX_CARD * max_items) or ""
    items = [normalize_code(part) for part in re.split(r"[\s,;]+", raw) if part.strip()]
    if len(items) > max_items:
        check.add(name, f"Give at most {max_items} at a time.")
    for item in items:
        if len(item) > MAX_CARD:
            check.add(name, f"{item[:20]}… is too long to be a code (at most {MAX_CARD}).")
    return list(dict.fromkeys(items))


def _checked(form: dict[str, str], name: str) -> bool:
    return form.get(name, "") in ("on", "1", "true", "yes")


def _terms_from_form(check: FormCheck, kinds: list[str]) -> dict[str, TermsIn]:
    terms: dict[str, TermsIn] = {}
    for kind in KINDS:
        given = {
            field: _optional_whole(check, f"{kind}_{field}", low, high)
            for field, _, low, high in TERM_FIELDS
        }
        chosen = {field: value for field, value in given.items() if value is not None}
        if not chosen:
            continue
        if kind not in kinds:
            first = next(iter(chosen))
            check.add(f"{kind}_{first}", f"Tick {kind} above, or leave its terms empty.")
            continue
        terms[kind] = TermsIn(**chosen)
    return terms


def _program_values(check: FormCheck, partner_codes: list[str]) -> dict[str, Any]:
    """The create form as the service takes a program (ProgramIn.given())."""
    form = check.form
    values: dict[str, Any] = {
        "code": _short_code(check, "code", "Enter a short code, like CH-HA."),
        "name": check.text("name", max_len=MAX_TEXT, required="Enter the program's name."),
        "funder": check.text("funder", max_len=MAX_TEXT) or "",
        "starts_on": check.day("starts_on", required="Enter the program's first day."),
        "ends_on": check.day("ends_on"),
        "training_hours": _decimal(check, "training_hours", high=1000, empty=0.0),
        "agreement_version": check.text("agreement_version", max_len=MAX_VERSION),
        "agreement_expires_on": check.day("agreement_expires_on"),
        "attestation_required": _checked(form, "attestation_required"),
    }
    kinds = [kind for kind in KINDS if _checked(form, f"kind_{kind}")]
    if not kinds:
        check.add("kinds", "Tick at least one kind of device the program lends.")
    values["kinds"] = kinds
    values["partners"] = [p for p in partner_codes if _checked(form, f"partner_{p}")]
    points = _words(check, "points", 100)
    if any(not CODE.match(p) or len(p) > MAX_CODE for p in points):
        check.add("points", "Give service point codes, like HA-SITE, separated by commas.")
    values["points"] = points
    values["terms"] = _terms_from_form(check, kinds)
    starts, ends = values["starts_on"], values["ends_on"]
    if starts and ends and ends < starts:
        check.add("ends_on", "The last day must not be before the first.")
    return values


def _local_start(check: FormCheck, timezone: str) -> datetime | None:
    """A datetime-local value (2026-12-01T09:00) as a moment in the session's time zone."""
    raw = check.form.get("starts_at", "").strip()
    if not raw:
        check.add("starts_at", "Enter when the session starts.")
        return None
    try:
        if len(raw) > 19:
            raise ValueError(raw)
        moment = datetime.fromisoformat(raw.replace(" ", "T"))
    except ValueError:
        check.add("starts_at", "Enter a date and time, like 2026-12-01 09:00.")
        return None
    if moment.tzinfo is not None:
        check.add("starts_at", "Enter a date and time, like 2026-12-01 09:00.")
        return None
    return moment.replace(tzinfo=zone(timezone))


def _month(raw: str | None, today: date) -> str | None:
    if not raw:
        return f"{today:%Y-%m}"
    return raw if MONTH.match(raw) else None


class AdminProgramController(Controller):
    path = "/admin/programs"
    include_in_schema = False

    async def _list(
        self,
        request: Request,
        page: str | None,
        check: FormCheck | None = None,
        partner_check: FormCheck | None = None,
        status: int = 200,
    ) -> Template:
        actor = await page_actor(request)
        number = _page_number(page)
        found = await catalog.list_programs(actor, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
        known = await partners.list_partners(actor)
        return render(
            request,
            "admin/programs.html",
            status=status,
            programs=found.items,
            window=page_window(request, found.total, number),
            partners=known.items,
            values=check.values if check else {},
            errors=check.errors if check else {},
            partner_values=partner_check.values if partner_check else {},
            partner_errors=partner_check.errors if partner_check else {},
            kinds=KINDS,
            term_fields=TERM_FIELDS,
        )

    @get("/", guards=[requires_page(Action.PROGRAM_READ)])
    async def index(self, request: Request, page: FromQuery[str | None] = None) -> Template:
        return await self._list(request, page)

    @post("/", status_code=200, guards=[requires_page(Action.PROGRAM_EDIT)])
    async def create(self, request: Request) -> Template | Redirect:
        actor = await page_actor(request)
        check = FormCheck(await read_form(request))
        known = [p.code for p in (await partners.list_partners(actor)).items]
        values = _program_values(check, known)
        if check.ok:
            given = {k: v for k, v in values.items() if v is not None}
            try:
                await catalog.create_program(actor, request.app.state.clock(), given)
            except Invalid as exc:
                check.refused(_renamed(exc), PROGRAM_FIELDS)
            except Conflict as exc:
                check.add("code", exc.detail)
            else:
                code = values["code"]
                return see_other(request, f"/admin/programs/{code}", flash=f"Program {code} added.")
        return await self._list(request, None, check, status=422)

    @post("/partners", status_code=200, guards=[requires_page(Action.PROGRAM_EDIT)])
    async def add_partner(self, request: Request) -> Template | Redirect:
        check = FormCheck(await read_form(request))
        code = _short_code(check, "partner_code", "Enter a short code, like HACC.")
        name = check.text(
            "partner_name", max_len=MAX_TEXT, required="Enter the organisation's name."
        )
        if check.ok:
            try:
                await partners.create_partner(
                    await page_actor(request),
                    request.app.state.clock(),
                    code=code,  # type: ignore[arg-type]
                    name=name,  # type: ignore[arg-type]
                )
            except Invalid as exc:
                check.refused(exc)
            except Conflict as exc:
                check.add("partner_code", exc.detail)
            else:
                return see_other(
                    request, "/admin/programs", flash=f"Partner organisation {code} added."
                )
        return await self._list(request, None, partner_check=check, status=422)

    async def _program(
        self,
        request: Request,
        code: str,
        check: FormCheck | None = None,
        status: int = 200,
        page: str | None = None,
    ) -> Template:
        actor = await page_actor(request)
        assert actor is not None  # the page guard let it in
        now = request.app.state.clock()
        timezone = request.app.state.settings.timezone
        program = await catalog.get_program(code, actor)
        number = _page_number(page)
        participants = None
        if allows(actor.role, Action.PARTICIPANT_READ):
            participants = await enrolments.list_enrolments(
                actor, now, code, timezone, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE
            )
        sessions = await training.list_sessions(actor, code, timezone)
        return render(
            request,
            "admin/program.html",
            status=status,
            program=program,
            participants=participants.items if participants else [],
            window=page_window(request, participants.total if participants else 0, number),
            sessions=sessions.items,
            values=check.values if check else {},
            errors=check.errors if check else {},
            method_options=[("", "Choose how eligibility was checked")]
            + [(m.value, n) for m, n in METHOD_NAMES.items()],
            method_names={m.value: n for m, n in METHOD_NAMES.items()},
            point_options=await self._point_options(program),
            standing_words=standing_words,
            month=f"{now.astimezone(zone(timezone)):%Y-%m}",
        )

    async def _point_options(self, program: ProgramOut) -> list[tuple[str, str]]:
        codes = program.points
        if not codes:
            found = await service_points.list_service_points(limit=200, offset=0)
            codes = [p.code for p in found.items]
        return [("", "None (no particular place)")] + [(c, c) for c in codes]

    async def _found(self, request: Request, raw: str) -> str:
        """The program's code, if the actor may reach it (else the 404 page)."""
        code = _code(raw)
        await catalog.get_program(code, await page_actor(request))
        return code

    @get("/{code:str}", guards=[requires_page(Action.PROGRAM_READ)])
    async def show(
        self, request: Request, code: FromPath[str], page: FromQuery[str | None] = None
    ) -> Template:
        return await self._program(request, _code(code), page=page)

    @post("/{code:str}/stock", status_code=200, guards=[requires_page(Action.PROGRAM_EDIT)])
    async def assign(self, request: Request, code: FromPath[str]) -> Template | Redirect:
        code = await self._found(request, code)
        check = FormCheck(await read_form(request))
        barcodes = _words(check, "devices", MAX_STOCK)
        if check.ok and not barcodes:
            check.add("devices", "Scan or type the barcodes of the devices to assign.")
        if check.ok:
            try:
                stock = await catalog.assign_stock(
                    await page_actor(request), request.app.state.clock(), code, barcodes
                )
            except Invalid as exc:
                check.refused(_renamed(exc, "devices"), ("devices",))
            except (Conflict, NotFound) as exc:
                check.add("devices", exc.detail)
            else:
                return see_other(
                    request,
                    f"/admin/programs/{code}",
                    flash=f"Assigned {', '.join(barcodes)}: the program has {stock.stock} "
                    f"device{'' if stock.stock == 1 else 's'}.",
                )
        return await self._program(request, code, check, status=422)

    @post("/{code:str}/stock/release", status_code=200, guards=[requires_page(Action.PROGRAM_EDIT)])
    async def release(self, request: Request, code: FromPath[str]) -> Template | Redirect:
        code = await self._found(request, code)
        check = FormCheck(await read_form(request))
        barcode = _card(check, "barcode") if check.form.get("barcode", "").strip() else None
        if barcode is None:
            check.add("barcode", "Scan or type the barcode of the device to release.")
        if check.ok:
            try:
                stock = await catalog.release_stock(
                    await page_actor(request), request.app.state.clock(), code, barcode
                )
            except (Invalid, NotFound) as exc:
                check.add("barcode", exc.detail)
            else:
                return see_other(
                    request,
                    f"/admin/programs/{code}",
                    flash=f"Released {barcode}: the program has {stock.stock} "
                    f"device{'' if stock.stock == 1 else 's'}.",
                )
        return await self._program(request, code, check, status=422)

    @post("/{code:str}/enrolments", status_code=200, guards=[requires_page(Action.ENROL)])
    async def enrol(self, request: Request, code: FromPath[str]) -> Template | Redirect:
        code = await self._found(request, code)
        check = FormCheck(await read_form(request))
        card = _card(check, "card")
        method = check.choice("method", METHODS, "Choose how eligibility was checked.")
        verified_on = check.day("verified_on")
        expires_on = check.day("expires_on")
        if check.ok:
            try:
                enrolment = await enrolments.enrol(
                    await page_actor(request),
                    request.app.state.clock(),
                    code,
                    request.app.state.settings.timezone,
                    patron=card,  # type: ignore[arg-type]
                    method=method,  # type: ignore[arg-type]
                    verified_on=verified_on,
                    expires_on=expires_on,
                    attested=_checked(check.form, "attested"),
                )
            except Invalid as exc:
                check.refused(exc, ("verified_on", "expires_on", "method"))
            except (NotFound, Conflict) as exc:
                check.add("card", exc.detail)
            else:
                return see_other(
                    request,
                    f"/admin/programs/{code}",
                    flash=f"{enrolment.name} ({card}) is enrolled in {code}: "
                    f"{standing_words(enrolment.refusal).lower()}.",
                )
        return await self._program(request, code, check, status=422)

    @post("/{code:str}/attest", status_code=200, guards=[requires_page(Action.ENROL)])
    async def attest(self, request: Request, code: FromPath[str]) -> Template | Redirect:
        """Record the household's statement for an enrolment made without it."""
        code = await self._found(request, code)
        check = FormCheck(await read_form(request))
        card = _card(check, "attest_card")
        if check.ok:
            try:
                enrolment = await enrolments.update_enrolment(
                    await page_actor(request),
                    request.app.state.clock(),
                    code,
                    card,  # type: ignore[arg-type]
                    request.app.state.settings.timezone,
                    {"attested": True},
                )
            except (Invalid, NotFound, Conflict) as exc:
                check.add("form", exc.detail)
            else:
                return see_other(
                    request,
                    f"/admin/programs/{code}",
                    flash=f"The household's statement is recorded for {enrolment.name}.",
                )
        if "attest_card" in check.errors:
            check.add("form", check.errors["attest_card"])
        return await self._program(request, code, check, status=422)

    @post("/{code:str}/agreements", status_code=200, guards=[requires_page(Action.ENROL)])
    async def sign(self, request: Request, code: FromPath[str]) -> Template | Redirect:
        code = await self._found(request, code)
        check = FormCheck(await read_form(request))
        card = _card(check, "sign_card")
        signature = check.text(
            "signature", max_len=MAX_TEXT, required="The patron types their full name."
        )
        if check.ok:
            try:
                enrolment = await enrolments.sign_agreement(
                    await page_actor(request),
                    request.app.state.clock(),
                    code,
                    request.app.state.settings.timezone,
                    patron=card,  # type: ignore[arg-type]
                    signature_kind="typed",
                    signature=signature,  # type: ignore[arg-type]
                )
            except Invalid as exc:
                check.refused(exc, ("signature",))
            except (NotFound, Conflict) as exc:
                check.add("sign_card", exc.detail)
            else:
                agreement = enrolment.agreement
                until = f", until {agreement.expires_on.isoformat()}" if agreement else ""
                return see_other(
                    request,
                    f"/admin/programs/{code}",
                    flash=f"{enrolment.name} signed the borrower agreement{until}.",
                )
        return await self._program(request, code, check, status=422)

    @post("/{code:str}/sessions", status_code=200, guards=[requires_page(Action.TRAINING_RECORD)])
    async def add_session(self, request: Request, code: FromPath[str]) -> Template | Redirect:
        code = await self._found(request, code)
        check = FormCheck(await read_form(request))
        topic = check.text("topic", max_len=MAX_TEXT, required="Enter the session's topic.")
        hours = _decimal(check, "hours", high=24, empty=None, positive=True)
        capacity = check.whole("capacity", low=1, high=1000)
        point = _short_code(check, "service_point", "") if check.form.get("service_point") else None
        timezone = request.app.state.settings.timezone
        if point and check.ok:
            try:
                timezone = (await service_points.get_service_point(point)).timezone
            except NotFound:
                check.add("service_point", f"No service point with code {point!r}.")
        starts_at = _local_start(check, timezone)
        if check.ok:
            try:
                session = await training.add_session(
                    await page_actor(request),
                    request.app.state.clock(),
                    code,
                    request.app.state.settings.timezone,
                    topic=topic,  # type: ignore[arg-type]
                    starts_at=starts_at,  # type: ignore[arg-type]
                    hours=hours,  # type: ignore[arg-type]
                    capacity=capacity,  # type: ignore[arg-type]
                    service_point=point,
                )
            except Invalid as exc:
                check.refused(exc, SESSION_FIELDS)
            except (Forbidden, NotFound) as exc:
                check.add("service_point", exc.detail)
            else:
                return see_other(
                    request,
                    f"/admin/programs/{code}/sessions/{session.id}",
                    flash=f"Session “{topic}” added: scan each card as people arrive.",
                )
        return await self._program(request, code, check, status=422)

    async def _session(
        self,
        request: Request,
        code: str,
        session_id: int,
        check: FormCheck | None = None,
        status: int = 200,
    ) -> Template:
        actor = await page_actor(request)
        program = await catalog.get_program(code, actor)
        found = await training.list_sessions(actor, code, request.app.state.settings.timezone)
        session = next((s for s in found.items if s.id == session_id), None)
        if session is None:
            raise NotFound(
                f"Program {code} has no training session {session_id}.", Code.SESSION_NOT_FOUND
            )
        return render(
            request,
            "admin/program_session.html",
            status=status,
            program=program,
            session=session,
            values=check.values if check else {},
            errors=check.errors if check else {},
        )

    @get("/{code:str}/sessions/{session:int}", guards=[requires_page(Action.PROGRAM_READ)])
    async def show_session(
        self, request: Request, code: FromPath[str], session: FromPath[int]
    ) -> Template:
        return await self._session(request, _code(code), _session_id(session))

    @post(
        "/{code:str}/sessions/{session:int}/attendance",
        status_code=200,
        guards=[requires_page(Action.TRAINING_RECORD)],
    )
    async def attend(
        self, request: Request, code: FromPath[str], session: FromPath[int]
    ) -> Template | Redirect:
        """A card scanned at the session: attended (signed up first if needed)."""
        code, session = await self._found(request, code), _session_id(session)
        check = FormCheck(await read_form(request))
        card = _card(check, "card")
        if check.ok:
            try:
                attendance = await training.record_attendance(
                    await page_actor(request),
                    request.app.state.clock(),
                    code,
                    session,
                    card,  # type: ignore[arg-type]
                    request.app.state.settings.timezone,
                )
            except Invalid as exc:
                check.refused(exc)
            except Conflict as exc:
                check.add("card", exc.detail)
            except NotFound as exc:
                if exc.code == Code.SESSION_NOT_FOUND:
                    raise
                check.add("card", exc.detail)
            else:
                return see_other(
                    request,
                    f"/admin/programs/{code}/sessions/{session}",
                    flash=f"Attended: card {card}, now {attendance.training_hours:g} hour"
                    f"{'' if attendance.training_hours == 1 else 's'} of training in {code}.",
                )
        return await self._session(request, code, session, check, status=422)

    @get("/{code:str}/report", guards=[requires_page(Action.PROGRAM_REPORT)])
    async def report(
        self,
        request: Request,
        code: FromPath[str],
        month: FromQuery[str | None] = None,
        suppress: FromQuery[str | None] = None,
    ) -> Template:
        """The program's month: a row for the whole program and one per service point. Counts
        under five show as "<5" when asked (always for partner staff)."""
        code = _code(code)
        actor = await page_actor(request)
        program = await catalog.get_program(code, actor)
        timezone = request.app.state.settings.timezone
        today = request.app.state.clock().astimezone(zone(timezone)).date()
        chosen = _month((month or "").strip()[:20], today)
        hide = suppress in ("1", "on", "true", "yes")
        found = None
        if chosen is not None:
            found = await reports.program_report(
                actor, chosen, timezone, program=code, suppress=hide
            )
        return render(
            request,
            "admin/program_report.html",
            status=200 if chosen else 422,
            program=program,
            report=found,
            month=chosen or (month or "")[:20],
            month_error=None if chosen else "Enter a month as YYYY-MM, for example 2026-12.",
            suppress=hide,
            columns=REPORT_COLUMNS,
        )
