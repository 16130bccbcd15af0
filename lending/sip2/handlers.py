"""What each SIP2 request does: a thin edge over the same services as the desk (checkout,
checkin, renew through services/circulation; the patron's own account through
services/people/self_check; PINs through the login throttle). Each handler gets the parsed
request and returns the response's command, fixed fields and variable fields; the server adds
the error-detection trailer and frames it.

Dates go out as `YYYYMMDDZZZZHHMMSS` in the service point's zone; the due date `AH` as the
library's readable date. A refusal's screen message (`AF`) is the desk's reason in the patron's
language (words.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from ..circulation import DeviceStatus, LendingError, NotFound, TooManyAttempts
from ..circulation.codes import Code
from ..circulation.permissions import Action, Role, allows
from ..services.access.auth import check_patron_pin
from ..services.access.sip_accounts import SipLogin, kiosk_actor
from ..services.circulation.transactions import check_in, check_out, renew
from ..services.library.service_points import PointRecord
from ..services.people.patron_source import PatronSourceUnavailable
from ..services.people.self_check import (
    PatronAccount,
    item_facts,
    patron_account,
    patron_language,
    title_of,
)
from ..settings import Settings
from .codec import Message, sip_date
from .words import say, sip_language

__all__ = ["HANDLERS", "Reply", "Request", "SUPPORTED"]

Fields = list[tuple[str, str | None]]


@dataclass
class Reply:
    command: str
    fixed: list[str]
    fields: Fields


@dataclass
class Request:
    message: Message
    login: SipLogin
    settings: Settings
    now: datetime
    client: str  # the kiosk's address, for the PIN throttle
    point: PointRecord | None = None  # the kiosk's service point, looked up at login

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.login.timezone)

    def date(self, moment: datetime | None = None) -> str:
        return sip_date(moment or self.now, self.zone)

    def due(self, moment: datetime) -> str:
        """The due date as the library writes it, in the service point's zone."""
        local = moment.astimezone(self.zone)
        return local.strftime("%Y-%m-%d %H:%M")

    @property
    def institution(self) -> str:
        return self.message.get("AO") or self.login.branch_code


def _yn(value: bool) -> str:
    return "Y" if value else "N"


def _money(cents: int) -> str:
    return f"{cents / 100:.2f}"


# Which messages this server answers, as the BX field orders them (16 flags).
_BX_ORDER = ("23", "11", "09", "01", "99", "97", "93", "63", "35", "37", "17", "19", "25", "15",
             "29", "65")  # fmt: skip
SUPPORTED = {"23", "11", "09", "99", "97", "93", "63", "35", "17", "29", "65"}


def supported_messages() -> str:
    return "".join(_yn(command in SUPPORTED) for command in _BX_ORDER)


async def _account(req: Request, card: str | None) -> PatronAccount | None:
    if not card:
        return None
    return await patron_account(card, req.now)


async def _pin_ok(req: Request, card: str, pin: str | None) -> bool | None:
    """Whether the PIN is right (None: none was sent). Throttled and locked out exactly as a
    resident login, and counted against the same card."""
    if pin is None or pin == "":
        return None
    try:
        return await check_patron_pin(card, pin, req.now, req.settings, client=req.client)
    except (TooManyAttempts, PatronSourceUnavailable):
        return False  # locked out, or the ILS that checks PINs did not answer


def _status_flags(account: PatronAccount | None, req: Request) -> str:
    """The 14 patron-status flags (Y or space)."""
    if account is None:
        return "Y" * 4 + " " * 10
    today = req.now.astimezone(req.zone).date()
    denied = account.blocked or account.expired(today)
    overdue = any(item.overdue for item in account.loans)
    lost = any(item.lost for item in account.loans)
    flags = [
        denied,  # charge privileges denied
        account.blocked,  # renewal privileges denied
        False,  # recall privileges denied
        denied,  # hold privileges denied
        False,  # card reported lost
        False,  # too many items charged
        overdue,  # too many items overdue
        False,  # too many renewals
        False,  # too many claims of items returned
        lost,  # too many items lost
        False,  # excessive outstanding fines
        account.fees_cents > 0,  # excessive outstanding fees
        False,  # recall overdue
        False,  # too many items billed
    ]
    return "".join("Y" if flag else " " for flag in flags)


def _language(account: PatronAccount | None) -> str:
    return account.language if account else "en"


async def patron_status(req: Request) -> Reply:
    """23 -> 24: the patron's standing; BL says whether the card is known, CQ whether the PIN
    (when one was sent) is right."""
    card, account, pin = await _patron(req)
    fields = _patron_fields(req, card, account, pin)
    fields.append(("AF", _screen_for(account, req, pin)))
    language = sip_language(_language(account))
    return Reply("24", [_status_flags(account, req), language, req.date()], fields)


async def _patron(req: Request) -> tuple[str, PatronAccount | None, bool | None]:
    """The card asked about (AA), its account (None: unknown) and whether its PIN (AD) is
    right (None: none was sent)."""
    card = req.message.get("AA") or ""
    account = await _account(req, card)
    pin = await _pin_ok(req, card, req.message.get("AD")) if account else None
    return card, account, pin


def _patron_fields(
    req: Request, card: str, account: PatronAccount | None, pin: bool | None
) -> Fields:
    """AO, AA, AE, BL (a known card), CQ (when a PIN was sent), the fees: 24's and 64's."""
    fields: Fields = [
        ("AO", req.institution),
        ("AA", card),
        ("AE", account.name if account else ""),
        ("BL", _yn(account is not None)),
    ]
    if req.message.get("AD") is not None:
        fields.append(("CQ", _yn(bool(pin))))
    if account is not None:
        fields += [("BH", "USD"), ("BV", _money(account.fees_cents))]
    return fields


def _screen_for(account: PatronAccount | None, req: Request, pin: bool | None) -> str:
    if account is None:
        return say(Code.PATRON_NOT_FOUND)
    language = account.language
    if pin is False:
        return say(Code.INVALID_CREDENTIALS, language)
    if account.blocked:
        return say(Code.PATRON_BLOCKED, language)
    if account.expired(req.now.astimezone(req.zone).date()):
        return say(Code.PATRON_EXPIRED, language)
    return account.name


def _window(m: Message, count: int) -> range:
    """BP/BQ: the items asked for (1-based, inclusive), at most 50 so the reply stays small."""

    def number(value: str | None, default: int) -> int:
        try:
            return max(1, int((value or "").strip()))
        except ValueError:
            return default

    start = number(m.get("BP"), 1)
    end = min(number(m.get("BQ"), count), start + 49)
    return range(start - 1, min(end, count))


async def patron_information(req: Request) -> Reply:
    """63 -> 64: the patron's standing, counts, contact details and, as the summary asks, their
    hold, overdue or charged items (the pair vendors use to check a card: BL, CQ)."""
    m = req.message
    card, account, pin = await _patron(req)
    summary = (m.fixed.get("summary") or "").ljust(10)
    loans = account.loans if account else []
    holds = account.holds if account else []
    overdue = [item for item in loans if item.overdue]
    ready = [h for h in holds if h.barcode]
    counts = [len(ready), len(overdue), len(loans), 0, 0, len(holds) - len(ready)]
    fields = _patron_fields(req, card, account, pin)
    if account is not None and pin is not False:  # items only when the PIN was right or unasked
        if summary[0] == "Y":
            fields += [("AS", h.barcode) for h in [ready[i] for i in _window(m, len(ready))]]
        if summary[1] == "Y":
            fields += [("AT", x.barcode) for x in [overdue[i] for i in _window(m, len(overdue))]]
        if summary[2] == "Y":
            fields += [("AU", x.barcode) for x in [loans[i] for i in _window(m, len(loans))]]
        fields += [("BE", account.email), ("BF", account.phone)]
    fields.append(("AF", _screen_for(account, req, pin)))
    fixed = [_status_flags(account, req), sip_language(_language(account)), req.date()]
    fixed += [f"{min(n, 9999):04d}" for n in counts]
    return Reply("64", fixed, fields)


def _refusal_words(exc: LendingError, language: str) -> str:
    return say(exc.code or "other", language)


async def checkout(req: Request) -> Reply:
    """11 -> 12: lend the device to the patron at the kiosk's service point, through the same
    checkout as the desk (blocks, limits, program requirements, reservations, holds for others).
    A hotspot whose line is suspended has its restore queued. The common case costs what the
    desk's does, plus the patron's language."""
    m = req.message
    card, barcode = m.get("AA") or "", m.get("AB") or ""

    async def refused(code: str) -> Reply:
        facts = await item_facts(barcode) if barcode else None
        fields: Fields = [("AO", req.institution), ("AA", card), ("AB", barcode),
                          ("AJ", facts.title if facts else ""), ("AH", ""),
                          ("AF", say(code, await patron_language(card)))]  # fmt: skip
        return Reply("12", ["0", "N", "N", "N", req.date()], fields)

    if not barcode:
        return await refused(Code.DEVICE_NOT_FOUND)
    if not card:
        return await refused(Code.PATRON_NOT_FOUND)
    if await _pin_ok(req, card, m.get("AD")) is False:
        return await refused(Code.INVALID_CREDENTIALS)
    try:
        reply = await check_out(
            kiosk_actor(req.login.name),
            req.now,
            card_number=card,
            barcode=barcode,
            service_point=req.point or req.login.service_point,
        )
    except LendingError as exc:
        return await refused(exc.code or "other")
    loan = reply.loan
    language = await patron_language(card)
    screen = say("lent_early" if reply.shortened else "lent", language, due=req.due(loan.due_at))
    if reply.line_restore_queued:
        screen += " " + say("restore", language)
    fields: Fields = [
        ("AO", req.institution),
        ("AA", card),
        ("AB", barcode),
        ("AJ", loan.kind),
        ("AH", req.due(loan.due_at)),
        ("CK", "000"),
        ("BK", str(loan.id)),
        ("AF", screen),
    ]
    return Reply("12", ["1", "N", "N", "Y", req.date()], fields)


async def checkin(req: Request) -> Reply:
    """09 -> 10: check the device in like the desk; where it goes next (hold shelf, return to
    service, repair, a booked event) is in AF and sets the alert flag and sort bin."""
    m = req.message
    barcode = m.get("AB") or ""
    fields: Fields = [("AO", req.institution), ("AB", barcode)]
    try:
        if not barcode:
            raise NotFound("No device.", Code.DEVICE_NOT_FOUND)
        reply = await check_in(kiosk_actor(req.login.name), req.now, barcode=barcode)
    except LendingError as exc:
        facts = await item_facts(barcode) if barcode else None
        fields += [("AQ", facts.branch_code if facts else ""),
                   ("AJ", facts.title if facts else ""), ("AF", say(exc.code or ""))]  # fmt: skip
        return Reply("10", ["0", "N", "N", "Y", req.date()], fields)
    language = await patron_language(reply.loan.patron)
    route = None
    if reply.hold:
        route = "hold_shelf"
    elif reply.set_aside:
        route = "set_aside"
    elif reply.repair:
        route = "repair"
    elif reply.device.status == DeviceStatus.IN_PROCESSING:
        route = "processing"
    screen = say(route or "back", language)
    if reply.line and reply.line.restore_queued:
        screen += " " + say("restore", language)
    fields += [("AQ", reply.device.branch), ("AJ", title_of(reply.device.model, reply.device.kind))]
    if route:
        fields.append(("CL", route))  # the sort bin
    if reply.loan.patron:
        fields.append(("AA", reply.loan.patron))
    fields += [("CK", "000"), ("AF", screen)]
    return Reply("10", ["1", "N", "N", _yn(route is not None), req.date()], fields)


async def _renew_one(req: Request, account: PatronAccount, barcode: str) -> tuple[bool, str, str]:
    """(renewed, due, screen) for the patron's loan of that device."""
    loan = next((item for item in account.loans if item.barcode == barcode), None)
    if loan is None:
        return False, "", say(Code.LOAN_NOT_FOUND, account.language)
    try:
        reply = await renew(kiosk_actor(req.login.name), req.now, loan.loan, patron_id=account.id)
    except LendingError as exc:
        return False, req.due(loan.due_at), _refusal_words(exc, account.language)
    due = req.due(reply.loan.due_at)
    return True, due, say("renewed", account.language, due=due)


async def renewal(req: Request) -> Reply:
    """29 -> 30: renew the patron's loan of the device, through the same renewal as the desk."""
    m = req.message
    card, barcode = m.get("AA") or "", m.get("AB") or ""
    account = await _account(req, card)
    fields: Fields = [("AO", req.institution), ("AA", card), ("AB", barcode)]
    if account is None:
        fields += [("AJ", ""), ("AH", ""), ("AF", say(Code.PATRON_NOT_FOUND))]
        return Reply("30", ["0", "N", "N", "N", req.date()], fields)
    if await _pin_ok(req, card, m.get("AD")) is False:
        fields += [("AJ", ""), ("AH", ""), ("AF", say(Code.INVALID_CREDENTIALS, account.language))]
        return Reply("30", ["0", "N", "N", "N", req.date()], fields)
    ok, due, screen = await _renew_one(req, account, barcode)
    facts = await item_facts(barcode) if barcode else None
    fields += [("AJ", facts.title if facts else ""), ("AH", due), ("AF", screen)]
    return Reply("30", ["1" if ok else "0", _yn(ok), "N", "N", req.date()], fields)


async def renew_all(req: Request) -> Reply:
    """65 -> 66: renew every loan of the patron that may be renewed; BM lists those renewed, BN
    those not."""
    m = req.message
    card = m.get("AA") or ""
    account = await _account(req, card)
    if account is None or await _pin_ok(req, card, m.get("AD")) is False:
        language = _language(account)
        why = Code.PATRON_NOT_FOUND if account is None else Code.INVALID_CREDENTIALS
        fields: Fields = [("AO", req.institution), ("AF", say(why, language))]
        return Reply("66", ["0", "0000", "0000", req.date()], fields)
    renewed, unrenewed = [], []
    for item in account.loans:
        ok, _due, _screen = await _renew_one(req, account, item.barcode)
        (renewed if ok else unrenewed).append(item.barcode)
    fields = [("AO", req.institution)]
    fields += [("BM", b) for b in renewed[:50]] + [("BN", b) for b in unrenewed[:50]]
    fields.append(("AF", f"{len(renewed)} / {len(renewed) + len(unrenewed)}"))
    fixed = ["1", f"{min(len(renewed), 9999):04d}", f"{min(len(unrenewed), 9999):04d}", req.date()]
    return Reply("66", fixed, fields)


# Device status -> SIP circulation status (17/18).
_CIRCULATION = {
    DeviceStatus.AVAILABLE: "03",
    DeviceStatus.ON_LOAN: "04",
    DeviceStatus.IN_PROCESSING: "06",
    DeviceStatus.ON_HOLD_SHELF: "08",
    DeviceStatus.SET_ASIDE: "08",
    DeviceStatus.IN_TRANSIT: "10",
    DeviceStatus.LOST: "12",
    DeviceStatus.IN_REPAIR: "01",
    DeviceStatus.RETIRED: "01",
}


async def item_information(req: Request) -> Reply:
    """17 -> 18: a device's circulation status, due date, title and home branch."""
    barcode = req.message.get("AB") or ""
    facts = await item_facts(barcode) if barcode else None
    if facts is None:
        fields: Fields = [("AB", barcode), ("AJ", ""), ("AF", say(Code.DEVICE_NOT_FOUND))]
        return Reply("18", ["01", "00", "01", req.date()], fields)
    fields = [("CF", str(facts.waiting))]
    if facts.due_at is not None:
        fields.append(("AH", req.due(facts.due_at)))
    fields += [("AB", facts.barcode), ("AJ", facts.title), ("BG", facts.branch_code),
               ("CK", "000"), ("AQ", facts.branch_code)]  # fmt: skip
    return Reply("18", [_CIRCULATION.get(facts.status, "01"), "00", "01", req.date()], fields)


async def end_session(req: Request) -> Reply:
    """35 -> 36: the patron is done (nothing is kept between patrons)."""
    fields: Fields = [("AO", req.institution), ("AA", req.message.get("AA") or ""),
                      ("AF", say("bye"))]  # fmt: skip
    return Reply("36", ["Y", req.date()], fields)


# The permission each message needs (the kiosk role's row in the permission table).
_NEEDS = {
    "23": Action.SELF_CHECK,
    "63": Action.SELF_CHECK,
    "17": Action.SELF_CHECK,
    "35": Action.SELF_CHECK,
    "11": Action.CHECKOUT,
    "09": Action.CHECKIN,
    "29": Action.RENEW,
    "65": Action.RENEW,
}

HANDLERS: dict[str, Callable[[Request], Awaitable[Reply]]] = {
    "23": patron_status,
    "63": patron_information,
    "11": checkout,
    "09": checkin,
    "29": renewal,
    "65": renew_all,
    "17": item_information,
    "35": end_session,
}


def permitted(command: str) -> bool:
    return allows(Role.KIOSK, _NEEDS[command])
