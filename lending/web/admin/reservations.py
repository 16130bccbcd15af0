"""Admin console: reservations (devices booked for an event or a class at a service point),
through lending.services.reservations: the list and the booking form, one reservation (confirm,
cancel, set aside, hand out by scanning), the pull list, the month calendar of free devices,
and each kind's reservation rules. Partner staff reach only their partner's reservations: the
services narrow every call made with the page's actor."""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, time
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
from ...circulation.permissions import Action
from ...circulation.reservations import ReservationStatus, UnitStatus
from ...schemas.base import MAX_ID
from ...schemas.reservations import ReservationOut
from ...services._common.render import zone
from ...services.library import service_points
from ...services.programs import catalog
from ...services.reservations import booking, pickup
from ..pages import read_form, render, requires_page, see_other
from ..sessions import page_actor
from .fields import PAGE_SIZE, FormCheck, page_window

__all__ = ["AdminReservationController"]

BASE = "/admin/reservations"
CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")  # a service point code, as the API takes it
CLOCK = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])(:[0-5][0-9])?$")
MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
MAX_TEXT = 200
MAX_NOTES = 4000
MAX_CARD = 64
MAX_FIELD = 1000  # what a one-line field takes before its own check says more
MAX_DEVICES = 500
MAX_DAYS = 93  # the pull list and the calendar, as booking.availability allows
STATUS_WORDS = {
    ReservationStatus.REQUESTED: ("Requested: waiting for staff to confirm", "warn"),
    ReservationStatus.CONFIRMED: ("Confirmed", "ok"),
    ReservationStatus.READY: ("Ready: devices set aside", "ok"),
    ReservationStatus.PICKED_UP: ("Picked up", ""),
    ReservationStatus.RETURNED: ("Returned", ""),
    ReservationStatus.CANCELLED: ("Cancelled", "bad"),
    ReservationStatus.NO_SHOW: ("No-show: cancelled", "bad"),
}
UNIT_WORDS = {
    UnitStatus.BOOKED: ("Booked", ""),
    UnitStatus.SET_ASIDE: ("Set aside", "ok"),
    UnitStatus.OUT: ("Lent to the event", ""),
    UnitStatus.RETURNED: ("Returned", ""),
    UnitStatus.RELEASED: ("Released", ""),
}
STATUSES = tuple(s.value for s in ReservationStatus)
OPEN = (ReservationStatus.REQUESTED, ReservationStatus.CONFIRMED, ReservationStatus.READY)
HANDED_OUT = (ReservationStatus.CONFIRMED, ReservationStatus.READY, ReservationStatus.PICKED_UP)
# A kind's rules as the form asks them: (field, label, lowest, highest).
RULE_FIELDS = (
    ("lead_time_hours", "Book at least this many hours ahead", 0, 24 * 366),
    ("max_length_hours", "Longest booking, in hours", 1, 24 * 366),
    ("buffer_minutes", "Minutes after each return before the next booking", 0, 7 * 24 * 60),
    ("set_aside_hours", "Set devices aside this many hours before the start", 0, 24 * 366),
    ("auto_cancel_minutes", "No-show: cancelled this many minutes after the start", 0, 7 * 24 * 60),
)
# The service's fields on the booking form's fields.
BOOK_FIELDS = {"starts_at": "start_time", "ends_at": "end_time", "devices": "devices"}
KNOWN_BOOK_FIELDS = (
    "service_point", "kind", "date", "start_time", "end_time", "ends_on", "quantity",
    "devices", "event", "responsible", "patron", "notes",
)  # fmt: skip


def at(value: datetime | None) -> str:
    """A reservation's time (already in its service point's zone): "Fri 4 Dec 2026, 10:00 CST"."""
    if value is None:
        return ""
    return f"{value:%a} {value.day} {value:%b %Y}, {value:%H:%M %Z}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _reservation_id(raw: int) -> int:
    if not 1 <= raw <= MAX_ID:
        raise NotFound(f"No reservation with id {raw}.", Code.RESERVATION_NOT_FOUND)
    return raw


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) < 7 else 1


def _query_code(raw: str | None) -> str | None:
    """A service point code from the address, or None when empty; ValueError when no code."""
    value = (raw or "").strip()
    if not value:
        return None
    if not CODE.match(value):
        raise ValueError(value)
    return value


def _shown(raw: str | None) -> str:
    """A value from the address, short enough to quote in a message."""
    text = (raw or "").strip()
    return text[:40] + ("…" if len(text) > 40 else "")


def _clock(check: FormCheck, name: str, required: str) -> time | None:
    raw = check.form.get(name, "").strip()
    if not raw:
        check.add(name, required)
        return None
    match = CLOCK.match(raw) if len(raw) <= 8 else None
    if match is None:
        check.add(name, "Enter a time as HH:MM, like 09:30 or 14:00.")
        return None
    return time(int(match.group(1)), int(match.group(2)))


def _card(check: FormCheck, name: str, required: str | None = None) -> str | None:
    raw = check.text(name, max_len=MAX_FIELD, required=required)
    if raw is None:
        return None
    value = normalize_code(raw)
    if not value or len(value) > MAX_CARD:
        check.add(name, f"A barcode or card number has 1 to {MAX_CARD} characters.")
        return None
    return value


def _barcodes(check: FormCheck, name: str) -> list[str]:
    """Barcodes separated by spaces, commas or semicolons (as a scanner or a person types them)."""
    raw = check.text(name, max_len=(MAX_CARD + 1) * MAX_DEVICES) or ""
    items = [normalize_code(part) for part in re.split(r"[\s,;]+", raw) if part.strip()]
    if len(items) > MAX_DEVICES:
        check.add(name, f"Give at most {MAX_DEVICES} barcodes at a time.")
    for item in items:
        if len(item) > MAX_CARD:
            check.add(name, f"{item[:20]}… is too long to be a barcode (at most {MAX_CARD}).")
    return list(dict.fromkeys(items))


def _optional_whole(check: FormCheck, name: str, low: int, high: int) -> int | None:
    if not check.form.get(name, "").strip():
        return None
    return check.whole(name, low=low, high=high)


def _booking_refused(check: FormCheck, exc: Conflict, named: bool, counted: bool) -> None:
    """A refusal of the booking, at the field it is about."""
    if exc.code == Code.RESERVATION_LEAD_TIME:
        check.add("start_time", exc.detail)
    elif exc.code == Code.RESERVATION_TOO_LONG:
        check.add("end_time", exc.detail)
    elif exc.code == Code.DEVICE_NOT_FOR_RESERVATION or "device" in exc.facts:
        check.add("devices", exc.detail)
    elif exc.code == Code.RESERVATION_UNAVAILABLE:
        check.add("quantity" if counted or not named else "devices", exc.detail)
    elif exc.code == Code.PATRON_BLOCKED:
        check.add("patron", exc.detail)
    else:
        check.add("form", exc.detail)


def _renamed(exc: Invalid) -> Invalid:
    """The service's field errors on the form's fields ("devices[2]" is the devices field)."""
    errors = []
    for error in exc.errors:
        name = error.field.split("[")[0].split(".")[0]
        errors.append(FieldError(BOOK_FIELDS.get(name, name), error.message))
    return Invalid(errors)


class AdminReservationController(Controller):
    path = BASE
    include_in_schema = False

    # ---- shared pieces ---------------------------------------------------------------------

    async def _points(self, request: Request) -> list[tuple[str, str, bool]]:
        """(code, "Name (CODE)", active) of the service points the actor works at: for partner
        staff, the points their partner's programs name (as programs/scope.py partner_points)."""
        actor = await page_actor(request)
        found = await service_points.list_service_points(limit=500, offset=0)
        points = found.items
        if actor is not None and actor.partner_id is not None:
            programs = await catalog.list_programs(actor, limit=500, offset=0)
            theirs = {code for p in programs.items for code in p.points}
            points = [p for p in points if p.code in theirs]
        return [(p.code, f"{p.name} ({p.code})", p.active) for p in points]

    async def _point_options(self, request: Request) -> list[tuple[str, str]]:
        return [(code, name) for code, name, _ in await self._points(request)]

    async def _rules(self, check: FormCheck | None, kind: str | None) -> list[dict[str, Any]]:
        forms = []
        for each in KINDS:
            rule = await booking.get_rule(each)
            current = {name: str(getattr(rule, name)) for name, *_ in RULE_FIELDS}
            mine = check is not None and each == kind
            forms.append(
                {
                    "kind": each,
                    "rule": rule,
                    "values": check.values if mine else current,  # type: ignore[union-attr]
                    "errors": check.errors if mine else {},  # type: ignore[union-attr]
                }
            )
        return forms

    def _words(self) -> dict[str, Any]:
        return {
            "status_words": STATUS_WORDS,
            "unit_words": UNIT_WORDS,
            "at": at,
            "ReservationStatus": ReservationStatus,
        }

    # ---- the list, the booking form and the rules -----------------------------------------

    async def _list(
        self,
        request: Request,
        *,
        check: FormCheck | None = None,
        rule_check: FormCheck | None = None,
        rule_kind: str | None = None,
        status: int = 200,
    ) -> Template:
        actor = await page_actor(request)
        query = request.query_params
        filters = {
            k: (query.get(k) or "").strip()[:100] for k in ("service_point", "kind", "status")
        }
        number = _page_number(query.get("page"))
        problems: list[str] = []
        try:
            point = _query_code(filters["service_point"])
        except ValueError:
            point = None
            problems.append(f"No service point with code “{_shown(filters['service_point'])}”.")
        kind = filters["kind"] or None
        if kind is not None and kind not in KINDS:
            problems.append(f"No kind of device called “{_shown(kind)}”: choose one from the list.")
        wanted = filters["status"] or None
        if wanted is not None and wanted not in STATUSES:
            problems.append(f"No status called “{_shown(wanted)}”: choose one from the list.")
        items: list[ReservationOut] = []
        total = 0
        if not problems:
            try:
                found = await booking.list_reservations(
                    actor,  # type: ignore[arg-type]
                    service_point=point,
                    kind=kind,
                    status=wanted,
                    limit=PAGE_SIZE,
                    offset=(number - 1) * PAGE_SIZE,
                )
            except Invalid:
                problems.append(f"No service point with code “{_shown(point)}”.")
            else:
                items, total = found.items, found.total
        points = await self._points(request)
        return render(
            request,
            "admin/reservations.html",
            status=422 if problems and status == 200 else status,
            reservations=items,
            window=page_window(request, total, number),
            filters=filters,
            filtered=any(filters.values()),
            filter_problems=problems,
            point_options=[(code, name) for code, name, _ in points],
            book_points=[(code, name) for code, name, active in points if active],
            kind_options=[(k, k.capitalize()) for k in KINDS],
            status_options=[(s.value, words) for s, (words, _) in STATUS_WORDS.items()],
            values=check.values if check else {},
            errors=check.errors if check else {},
            rules=await self._rules(rule_check, rule_kind),
            rule_fields=RULE_FIELDS,
            **self._words(),
        )

    @get("/", guards=[requires_page(Action.RESERVATION_READ)])
    async def index(self, request: Request) -> Template:
        return await self._list(request)

    @post("/", status_code=200, guards=[requires_page(Action.RESERVATION_MAKE)])
    async def book(self, request: Request) -> Template | Redirect:
        actor = await page_actor(request)
        check = FormCheck(await read_form(request))
        code = check.text("service_point", max_len=100, required="Choose the service point.")
        if code is not None and not CODE.match(code):
            check.add("service_point", "Choose a service point from the list.")
            code = None
        kind = check.choice("kind", KINDS, "Choose the kind of device.")
        day = check.day("date", required="Enter the day the event starts.")
        starts = _clock(check, "start_time", "Enter when the event starts, like 09:30.")
        ends = _clock(check, "end_time", "Enter when the devices come back, like 12:00.")
        last_day = check.day("ends_on") or day
        quantity = _optional_whole(check, "quantity", 1, MAX_DEVICES)
        devices = _barcodes(check, "devices")
        if quantity is None and not devices and "quantity" not in check.errors:
            check.add("quantity", "Enter how many devices, or name them by barcode below.")
        event = check.text(
            "event",
            max_len=MAX_TEXT,
            required="Enter what the devices are for, like “Digital skills class, Room 2”.",
        )
        responsible = check.text("responsible", max_len=MAX_TEXT)
        patron = _card(check, "patron")
        notes = check.text("notes", max_len=MAX_NOTES) or ""
        timezone = None
        if code is not None:
            try:
                timezone = (await service_points.point_by_code(code)).timezone
            except NotFound:
                check.add("service_point", f"No service point with code “{code}”.")
        starts_at = ends_at = None
        if check.ok and timezone and day and starts and ends and last_day:
            starts_at = datetime.combine(day, starts, zone(timezone))
            ends_at = datetime.combine(last_day, ends, zone(timezone))
            if ends_at <= starts_at:
                check.add("end_time", "The devices must come back after the event starts.")
        if check.ok:
            try:
                made = await booking.create_reservation(
                    actor,  # type: ignore[arg-type]
                    request.app.state.clock(),
                    service_point=code,  # type: ignore[arg-type]
                    kind=kind,  # type: ignore[arg-type]
                    starts_at=starts_at,  # type: ignore[arg-type]
                    ends_at=ends_at,  # type: ignore[arg-type]
                    event=event,  # type: ignore[arg-type]
                    quantity=quantity,
                    devices=devices or None,
                    responsible=responsible,
                    patron=patron,
                    notes=notes,
                )
            except Invalid as exc:
                check.refused(_renamed(exc), KNOWN_BOOK_FIELDS)
            except Conflict as exc:
                _booking_refused(check, exc, bool(devices), quantity is not None)
            except Forbidden as exc:
                check.add("service_point", exc.detail)
            except NotFound as exc:
                check.add("form", exc.detail)
            else:
                what = _plural(made.quantity, made.kind)
                same_day = made.ends_at.date() == made.starts_at.date()
                when = f"{at(made.starts_at)} to " + (
                    f"{made.ends_at:%H:%M}" if same_day else at(made.ends_at)
                )
                done = (
                    "requested: staff will confirm it"
                    if made.status == ReservationStatus.REQUESTED
                    else f"{STATUS_WORDS[made.status][0].lower()}"
                )
                return see_other(
                    request,
                    f"{BASE}/{made.id}",
                    flash=f"Booked {what} for “{made.event}” at {made.service_point}, "
                    f"{when}: {done}.",
                )
        return await self._list(request, check=check, status=422)

    @post("/rules/{kind:str}", status_code=200, guards=[requires_page(Action.POLICY_EDIT)])
    async def save_rules(self, request: Request, kind: FromPath[str]) -> Template | Redirect:
        if kind not in KINDS:
            raise NotFound(f"No kind of device called {kind[:40]!r}.", Code.NOT_FOUND)
        check = FormCheck(await read_form(request))
        changes = {}
        for name, _, low, high in RULE_FIELDS:
            value = check.whole(name, low=low, high=high)
            if value is not None:
                changes[name] = value
        if check.ok:
            try:
                await booking.put_rule(
                    await page_actor(request),  # type: ignore[arg-type]
                    request.app.state.clock(),
                    kind,
                    changes,
                )
            except Invalid as exc:
                check.refused(exc, tuple(name for name, *_ in RULE_FIELDS))
            else:
                return see_other(
                    request,
                    f"{BASE}#rules-{kind}",
                    flash=f"The {kind} reservation rules are saved.",
                )
        return await self._list(request, rule_check=check, rule_kind=kind, status=422)

    # ---- the pull list and the calendar ----------------------------------------------------

    @get("/pull-list", guards=[requires_page(Action.RESERVATION_READ)])
    async def pull_list(
        self,
        request: Request,
        days: FromQuery[str | None] = None,
        service_point: FromQuery[str | None] = None,
    ) -> Template:
        """What to set aside over the next days, each device with its shelf: to print."""
        actor = await page_actor(request)
        raw_days = (days or "").strip()
        problems = []
        count = 3
        if raw_days:
            whole = raw_days.isascii() and raw_days.isdigit() and len(raw_days) < 4
            if whole and 1 <= int(raw_days) <= MAX_DAYS:
                count = int(raw_days)
            else:
                problems.append(f"Enter a number of days from 1 to {MAX_DAYS}.")
        try:
            point = _query_code(service_point)
        except ValueError:
            point = None
            problems.append(f"No service point with code “{_shown(service_point)}”.")
        found = None
        if not problems:
            try:
                found = await booking.pull_list(
                    actor,  # type: ignore[arg-type]
                    request.app.state.clock(),
                    days=count,
                    service_point=point,
                )
            except Invalid:
                problems.append(f"No service point with code “{_shown(point)}”.")
        timezone = request.app.state.settings.timezone
        until = found.until.astimezone(zone(timezone)) if found else None
        return render(
            request,
            "admin/pull_list.html",
            status=422 if problems else 200,
            pull=found,
            until=until,
            days=count,
            filters={"days": raw_days or "3", "service_point": (service_point or "").strip()[:100]},
            problems=problems,
            point_options=await self._point_options(request),
            **self._words(),
        )

    @get("/calendar", guards=[requires_page(Action.RESERVATION_READ)])
    async def month(
        self,
        request: Request,
        service_point: FromQuery[str | None] = None,
        kind: FromQuery[str | None] = None,
        month: FromQuery[str | None] = None,
    ) -> Template:
        """A month of one service point and kind: the fewest free devices each day and the
        reservations holding devices that day."""
        actor = await page_actor(request)
        options = await self._point_options(request)
        chosen_kind = (kind or "").strip() or "laptop"
        raw_point = (service_point or "").strip()
        raw_month = (month or "").strip()
        problems = []
        point = None
        try:
            code = _query_code(raw_point) or (options[0][0] if options else None)
        except ValueError:
            code = None
            problems.append(f"No service point with code “{_shown(raw_point)}”.")
        if code is not None:
            try:
                point = await service_points.point_by_code(code)
            except NotFound:
                problems.append(f"No service point with code “{_shown(code)}”.")
        if chosen_kind not in KINDS:
            problems.append(f"No kind of device called “{_shown(chosen_kind)}”.")
        if not options and not problems:
            problems.append("There are no service points to show yet.")
        now = request.app.state.clock()
        timezone = point.timezone if point else request.app.state.settings.timezone
        today = now.astimezone(zone(timezone)).date()
        match = MONTH.match(raw_month) if raw_month else None
        year, number = (
            (int(match.group(1)), int(match.group(2))) if match else (today.year, today.month)
        )
        if raw_month and (match is None or not 2000 <= year <= 2100):
            problems.append("Enter a month as YYYY-MM, for example 2026-12.")
            year, number = today.year, today.month
        first = date(year, number, 1)
        found = None
        if not problems and point is not None:
            found = await booking.availability(
                actor,  # type: ignore[arg-type]
                kind=chosen_kind,
                first_day=first,
                days=calendar.monthrange(year, number)[1],
                service_point=point.code,
                now=now,
            )
        weeks = self._grid(found, year, number, today) if found else []
        before = date(year - 1, 12, 1) if number == 1 else date(year, number - 1, 1)
        after = date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)
        return render(
            request,
            "admin/reservation_calendar.html",
            status=422 if problems else 200,
            availability=found,
            point=point,
            kind=chosen_kind,
            month=first,
            weeks=weeks,
            weekdays=[calendar.day_name[(6 + i) % 7] for i in range(7)],
            prev_month=f"{before:%Y-%m}" if before.year >= 2000 else None,
            next_month=f"{after:%Y-%m}" if after.year <= 2100 else None,
            problems=problems,
            filters={
                "service_point": code or raw_point[:100],
                "kind": chosen_kind,
                "month": raw_month[:20] or f"{first:%Y-%m}",
            },  # fmt: skip
            point_options=options,
            kind_options=[(k, k.capitalize()) for k in KINDS],
            **self._words(),
        )

    def _grid(self, found: Any, year: int, number: int, today: date) -> list[list[dict[str, Any]]]:
        """Weeks (Sunday first) of day cells: the fewest free and the reservations that day."""
        days = {d.date: d for d in found.days}
        by_id = {r.id: r for r in found.reservations}
        weeks = []
        for week in calendar.Calendar(firstweekday=6).monthdatescalendar(year, number):
            cells = []
            for day in week:
                info = days.get(day) if day.month == number else None
                entries = []
                for reservation_id in info.reservations if info else []:
                    r = by_id.get(reservation_id)
                    if r is not None:
                        starts_here = r.starts_at.date() == day
                        entries.append((r, starts_here))
                cells.append(
                    {
                        "date": day,
                        "in_month": day.month == number,
                        "past": day < today,
                        "today": day == today,
                        "free": info.fewest_free if info else None,
                        "entries": entries,
                    }
                )
            weeks.append(cells)
        return weeks

    # ---- one reservation --------------------------------------------------------------------

    async def _detail(
        self,
        request: Request,
        reservation_id: int,
        *,
        check: FormCheck | None = None,
        result: dict[str, Any] | None = None,
        loans: list[Any] | None = None,
        status: int = 200,
    ) -> Template:
        actor = await page_actor(request)
        reservation = await booking.get_reservation(actor, reservation_id)  # type: ignore[arg-type]
        return render(
            request,
            "admin/reservation.html",
            status=status,
            r=reservation,
            is_open=reservation.status in OPEN,
            requested=reservation.status == ReservationStatus.REQUESTED,
            may_set_aside=reservation.status
            in (ReservationStatus.CONFIRMED, ReservationStatus.READY),
            may_hand_out=reservation.status in HANDED_OUT,
            values=check.values if check else {},
            errors=check.errors if check else {},
            result=result,
            loans=loans or [],
            **self._words(),
        )

    async def _found(self, request: Request, raw: int) -> int:
        """The reservation's id, if the actor may reach it (else the 404 page)."""
        reservation_id = _reservation_id(raw)
        await booking.get_reservation(await page_actor(request), reservation_id)  # type: ignore[arg-type]
        return reservation_id

    @get("/{reservation_id:int}", guards=[requires_page(Action.RESERVATION_READ)])
    async def show(self, request: Request, reservation_id: FromPath[int]) -> Template:
        return await self._detail(request, _reservation_id(reservation_id))

    @post(
        "/{reservation_id:int}/confirm",
        status_code=200,
        guards=[requires_page(Action.RESERVATION_MANAGE)],
    )
    async def confirm(self, request: Request, reservation_id: FromPath[int]) -> Template | Redirect:
        reservation_id = await self._found(request, reservation_id)
        check = FormCheck(await read_form(request))
        try:
            done = await booking.confirm_reservation(
                await page_actor(request),  # type: ignore[arg-type]
                request.app.state.clock(),
                reservation_id,
            )
        except (Conflict, Invalid) as exc:
            check.add("form", exc.detail)
            return await self._detail(request, reservation_id, check=check, status=422)
        return see_other(
            request,
            f"{BASE}/{reservation_id}",
            flash=f"Reservation {reservation_id} is confirmed: "
            f"{STATUS_WORDS[done.status][0].lower()}.",
        )

    @post(
        "/{reservation_id:int}/cancel",
        status_code=200,
        guards=[requires_page(Action.RESERVATION_MAKE)],
    )
    async def cancel(self, request: Request, reservation_id: FromPath[int]) -> Template | Redirect:
        reservation_id = await self._found(request, reservation_id)
        check = FormCheck(await read_form(request))
        reason = check.text(
            "reason", max_len=MAX_TEXT, required="Say why, like “The class moved online”."
        )
        if check.ok:
            try:
                await booking.cancel_reservation(
                    await page_actor(request),  # type: ignore[arg-type]
                    request.app.state.clock(),
                    reservation_id,
                    reason,  # type: ignore[arg-type]
                )
            except Invalid as exc:
                check.refused(exc, ("reason",))
            except Conflict as exc:
                check.add("reason", exc.detail)
            else:
                return see_other(
                    request,
                    f"{BASE}/{reservation_id}",
                    flash=f"Reservation {reservation_id} is cancelled: its devices are free "
                    "for others.",
                )
        return await self._detail(request, reservation_id, check=check, status=422)

    @post(
        "/{reservation_id:int}/set-aside",
        status_code=200,
        guards=[requires_page(Action.RESERVATION_MANAGE)],
    )
    async def set_aside(
        self, request: Request, reservation_id: FromPath[int]
    ) -> Template | Redirect:
        reservation_id = await self._found(request, reservation_id)
        check = FormCheck(await read_form(request))
        barcodes = _barcodes(check, "set_aside_devices")
        if check.ok:
            try:
                done = await booking.set_aside_now(
                    await page_actor(request),  # type: ignore[arg-type]
                    request.app.state.clock(),
                    reservation_id,
                    barcodes,
                )
            except (Invalid, Conflict) as exc:
                message = exc.errors[0].message if isinstance(exc, Invalid) else exc.detail
                check.add("set_aside_devices", message[:1].upper() + message[1:])
            else:
                short = (
                    f" {_plural(done.short, 'device')} short: no other {done.kind} is free."
                    if done.short
                    else ""
                )
                return see_other(
                    request,
                    f"{BASE}/{reservation_id}",
                    flash=f"{done.set_aside} of {done.quantity} set aside.{short}",
                )
        return await self._detail(request, reservation_id, check=check, status=422)

    @post(
        "/{reservation_id:int}/pickup",
        status_code=200,
        guards=[requires_page(Action.RESERVATION_MANAGE)],
    )
    async def hand_out(self, request: Request, reservation_id: FromPath[int]) -> Template:
        """One scan: lend the device to the event, then the page again with the result (and the
        scan field focused for the next one)."""
        reservation_id = await self._found(request, reservation_id)
        check = FormCheck(await read_form(request))
        barcode = _card(check, "barcode", "Scan or type the device's barcode.")
        if not check.ok:
            return await self._detail(request, reservation_id, check=check, status=422)
        try:
            reply = await pickup.pick_up(
                await page_actor(request),  # type: ignore[arg-type]
                request.app.state.clock(),
                reservation_id,
                [barcode],  # type: ignore[list-item]
            )
        except (Conflict, NotFound, Invalid) as exc:
            if isinstance(exc, NotFound) and exc.code == Code.RESERVATION_NOT_FOUND:
                raise
            reason = exc.detail
            if exc.code == Code.RESERVATION_NOT_STARTED:  # its times in the point's own zone
                shown = await booking.get_reservation(await page_actor(request), reservation_id)  # type: ignore[arg-type]
                reason = (
                    f"Devices are handed out from {at(shown.set_aside_at)} until "
                    f"{at(shown.ends_at)}."
                )
            result = {
                "kind": "bad",
                "label": "Refused",
                "title": f"Not lent: {barcode}",
                "lines": [reason],
            }
            return await self._detail(request, reservation_id, result=result, status=422)
        done = reply.reservation
        lines = [f"Loan {loan.id}, due back {at(loan.due_at)}." for loan in reply.loans] + [
            f"{done.out} of {done.quantity} devices are out with the event."
        ]
        result = {
            "kind": "ok",
            "label": "Done",
            "title": f"Lent {barcode} to “{done.event}”",
            "lines": lines,
        }
        return await self._detail(request, reservation_id, result=result, loans=reply.loans)
