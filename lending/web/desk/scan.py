"""What one scan (or renew click) at the circulation desk did, in plain words.

Each function calls the same services as the API and turns the reply, or the service's refusal
(a LendingError with a stable code), into a `Result`: green (ok), amber (warn) or red (bad), a
title naming the device and the patron, and lines saying what to do next.

Card or device? In checkout mode a scan is first looked up as a library card: a match selects
that patron. Anything else is a device barcode lent to the selected patron. Cards win because
a wrongly chosen "card" only changes the patron on screen (visibly, harmlessly), while a wrongly
chosen "device" would try to lend something.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...circulation import (
    DeviceStatus,
    LendingError,
    NotFound,
    PartOutcome,
    card_standing,
    days_overdue,
    is_overdue,
    normalize_code,
)
from ...circulation.codes import Code
from ...schemas.base import CheckinReply, KitItemOut
from ...services._common.render import zone
from ...services.actors import Actor
from ...services.circulation.loans import current_borrower
from ...services.circulation.transactions import check_in, check_out, overdue_loans, renew
from ...services.inventory.devices import device_by_barcode
from ...services.inventory.transfers import receive_device
from ...services.people import patron_source
from ...services.people.patrons import patron_by_card
from ...settings import Settings
from ..dates import format_date, format_when
from ..program_words import program_refusal

__all__ = [
    "MAX_CODE",
    "MODES",
    "ACTION_LABELS",
    "Result",
    "card_warnings",
    "checkin_scan",
    "checkout_scan",
    "clean_code",
    "renew_loan",
]

MODES = ("checkout", "checkin")
MAX_CODE = 64  # the API's limit for a barcode or card number

# A refusal's code -> what it means at the desk and what to do (the service's detail is kept
# when it names the limit or the status precisely).
_WHAT_TO_DO = {
    Code.PATRON_EXPIRED: "Renew the library card first, then lend the device.",
    Code.LOAN_LIMIT_REACHED: "Check in one of their devices first, or ask a librarian.",
    Code.PATRON_HAS_OVERDUE: "Check in the overdue device(s) first, then lend.",
    Code.OVERDUE_RENEWAL_REFUSED: "The library does not renew overdue loans: check it in instead.",
    Code.RENEWAL_LIMIT_REACHED: "It cannot be renewed again: it must come back by the due date.",
    Code.RENEWAL_BLOCKED_BY_HOLDS: "Others are waiting: it must come back by the due date.",
    Code.LOAN_NOT_ACTIVE: "Only a loan that is out can be renewed.",
    Code.DUPLICATE_HOLD: "They already wait for one.",
    Code.DEVICE_RESERVED: "Every other one of its kind is booked for an event then: lend it "
    "another day, or another kind.",
}
_DEVICE_STATUS_ADVICE = {
    DeviceStatus.ON_LOAN: "It is still on loan to someone: check it in first, then lend it.",
    DeviceStatus.ON_HOLD_SHELF: (
        "It is on the hold shelf for another patron: put it back and lend another."
    ),
    DeviceStatus.IN_PROCESSING: "It is being made ready (return-to-service steps): lend another.",
    DeviceStatus.SET_ASIDE: "It is set aside for a booked event: put it back with them and "
    "lend another.",
    DeviceStatus.IN_REPAIR: "It is in repair: set it aside for a librarian and lend another.",
    DeviceStatus.LOST: "It is recorded as lost: check it in first to bring it back, then lend it.",
    DeviceStatus.RETIRED: "It is retired and cannot be lent: set it aside for a librarian.",
}


# Check-in routings that need the clerk to do something with the device in their hands: each
# gets its own colour, icon and words, and stays in the desk's to-do list until acknowledged.
ACTION_LABELS = {
    "hold_shelf": "Hold shelf",
    "processing": "Return to service",
    "reservation": "Set aside for a booking",
    "repair": "Repair",
    "kit": "Kit part missing",
}


@dataclass
class Result:
    kind: str  # ok, warn, bad, act (a routing the clerk must act on: see `todo`)
    title: str
    lines: list[str] = field(default_factory=list)
    code: str = ""  # what was scanned (cleaned)
    action: str = ""  # patron, checkout, checkin, received, renew, refused, not_found, invalid
    loan_id: int | None = None
    shelf_for: str | None = None  # "Put on hold shelf for <name>" when a hold takes the device
    # A checked-in loan's kit checklist (lending.web.desk.kit): the parts, the outcome chosen
    # for each, whether the device is damaged and why, and an error per field.
    kit: list[KitItemOut] = field(default_factory=list)
    kit_form: dict[str, Any] = field(default_factory=dict)
    todo: str = ""  # a key of ACTION_LABELS: the routing the clerk must act on
    todo_text: str = ""  # what to do, in one line (the to-do list's entry)
    slip: dict[str, Any] | None = None  # a hold slip: hold id, patron as named on it, pickup by

    @property
    def label(self) -> str:  # read out before the title (colour is never the only signal)
        if self.todo:
            return f"Action needed ({ACTION_LABELS[self.todo]})"
        return {"ok": "Done", "warn": "Note", "bad": "Not done", "act": "Action needed"}[self.kind]

    def needs_action(self, todo: str, text: str) -> None:
        self.kind, self.todo, self.todo_text = "act", todo, text


def clean_code(raw: str) -> tuple[str, Result | None]:
    """The scanned code cleaned up, or a red result for an empty or over-long scan."""
    code = normalize_code(raw.replace("\x00", ""))
    if not code:
        return "", Result("bad", "Nothing was scanned", ["Scan the barcode again."], "", "invalid")
    if len(code) > MAX_CODE:
        return "", Result(
            "bad",
            "That is too long to be a barcode",
            [f"A barcode or card number has at most {MAX_CODE} characters. Scan it again."],
            code[:20] + "…",
            "invalid",
        )
    return code, None


def when(value: datetime | None) -> str:
    return format_when(value, "en")


def _name(patron: dict[str, Any] | None, card: str | None) -> str:
    if patron:
        return patron["name"]
    return f"card {card}" if card else "an unknown patron"


async def _patron_or_none(card: str | None) -> dict[str, Any] | None:
    if not card:
        return None
    try:
        return await patron_by_card(card)
    except NotFound:
        return None


async def _refusal(
    exc: LendingError,
    title: str,
    code: str,
    patron: dict[str, Any] | None = None,
    program: str | None = None,
) -> Result:
    program_lines = program_refusal(exc.code, exc.facts, program, exc.detail)
    if program_lines is not None:
        lines = program_lines
    elif exc.code == Code.PATRON_BLOCKED:
        reason = exc.facts.get("block_reason") or (patron or {}).get("block_reason")
        reason = reason or "no reason recorded"
        lines = [f"Blocked: {reason}. Ask the patron to see a librarian."]
    elif exc.code == Code.DEVICE_RESERVED and exc.facts.get("status") == DeviceStatus.SET_ASIDE:
        lines = [_DEVICE_STATUS_ADVICE[DeviceStatus.SET_ASIDE]]
    elif exc.code == Code.DEVICE_UNAVAILABLE:
        device = None
        with contextlib.suppress(NotFound):
            device = await device_by_barcode(code)
        status = exc.facts.get("status") or (device["status"] if device else "")
        lines = [_DEVICE_STATUS_ADVICE.get(status, exc.detail)]
        if status == DeviceStatus.ON_LOAN and device is not None:
            lines = [await _on_loan_to_whom(device["id"], patron)]
    else:
        lines = [exc.detail]
        if exc.code in _WHAT_TO_DO:
            lines.append(_WHAT_TO_DO[exc.code])
    return Result("bad", title, lines, code, "refused")


async def _on_loan_to_whom(device_id: int, patron: dict[str, Any] | None) -> str:
    """Say who has the device: the patron on screen (nothing to lend), or someone else (by the
    last digits of their card only: the clerk's screen may be seen by the patron)."""
    card = await current_borrower(device_id)
    if card and patron is not None and card == patron.get("card_number"):
        return "It is already on loan to this patron: nothing to lend. Renew it instead if needed."
    if card:
        return (
            f"It is still on loan to another patron (card ending in {card[-4:]}): check it in first, "
            "then lend it."
        )
    return _DEVICE_STATUS_ADVICE[DeviceStatus.ON_LOAN]


async def card_warnings(patron: dict[str, Any], now: datetime, timezone: str) -> list[str]:
    """What the desk must see at once when a card is scanned: a block, an expired card or one
    expiring within 30 days, and loans overdue (the patron's own, then their household's)."""
    today = now.astimezone(zone(timezone)).date()
    standing = card_standing(patron["blocked"], patron["expires_on"], today)
    lines = []
    if standing.blocked:
        reason = patron["block_reason"] or "no reason recorded"
        lines.append(f"Blocked: {reason}. Ask the patron to see a librarian.")
    expires = patron["expires_on"]
    if standing.expired:
        lines.append(
            f"Card expired on {format_date(expires, 'en', today=today)}: "
            "renew the card before lending."
        )
    elif standing.expiring:
        days = standing.days_left
        left = "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
        lines.append(
            f"Card expires {left} ({format_date(expires, 'en', today=today)}): offer to renew it."
        )
    overdue = await overdue_loans(patron["id"], patron["household"], now)
    for loan in overdue:
        late = days_overdue(loan.due_at, now)
        since = f"{late} day{'s' if late != 1 else ''} late" if late else "since today"
        whose = "" if loan.own else "Household member's loan "
        lines.append(
            f"{whose}Overdue: {loan.device} ({loan.kind}), due {when(loan.due_at)} ({since})."
        )
    return lines


async def checkout_scan(
    actor: Actor,
    now: datetime,
    code: str,
    patron: dict[str, Any] | None,
    timezone: str = "UTC",
    program: str | None = None,
    *,
    settings: Settings | None = None,
) -> tuple[Result, dict[str, Any] | None]:
    """A checkout-mode scan: a card selects its patron; a device is lent to `patron` (under
    `program` when the desk chose one). Returns the result and the patron selected afterwards.
    With `settings` naming an ILS (LENDING_PATRON_SOURCE), a card is checked with the ILS too,
    and a card not known here but valid there becomes a local patron."""
    ils = settings if settings is not None and patron_source.enabled(settings) else None
    scanned = await _patron_or_none(code)
    if scanned is not None:
        notes: list[str] = []
        if ils is not None:
            scanned, notes = await _recheck_card(actor, now, scanned, ils)
        return await _patron_result(scanned, now, timezone, code, notes), scanned
    if patron is None:
        try:
            await device_by_barcode(code)
        except NotFound:
            if ils is not None:
                return await _card_from_ils(actor, now, code, timezone, ils, None)
            return _unknown(code, "No library card or device has this code"), None
        return Result(
            "bad",
            f"Scan a library card first ({code} is a device)",
            ["Scan the patron's library card, then scan the device again."],
            code,
            "refused",
        ), None
    name = patron["name"]
    try:
        reply = await check_out(
            actor, now, card_number=patron["card_number"], barcode=code, program=program
        )
    except LendingError as exc:
        if exc.code == Code.DEVICE_NOT_FOUND:
            if ils is not None:
                return await _card_from_ils(actor, now, code, timezone, ils, patron)
            return _unknown(code, "No library card or device has this code"), patron
        title = f"Not checked out: {code} to {name}"
        return await _refusal(exc, title, code, patron, program), patron
    loan = reply.loan
    lines = [f"Due {when(loan.due_at)}."]
    kind = "ok"
    if reply.shortened is not None:
        kind = "warn"  # tell the patron: it is due early
        lines = [
            f"Due early: {when(loan.due_at)} (not {when(reply.shortened.due_at_otherwise)}).",
            f"Tell the patron: its kind is booked for {reply.shortened.event} from "
            f"{when(reply.shortened.starts_at)}.",
        ]
    if loan.program:
        lines.append(f"Lent under program {loan.program}.")
    parts = [item.name or "" for item in reply.kit or []]
    if parts:
        lines.append(f"Give with it: {', '.join(p for p in parts if p)}.")
    return Result(
        kind,
        f"Checked out: {code} ({loan.kind}) to {name}",
        lines,
        code,
        "checkout",
        loan_id=loan.id,
    ), patron


async def _patron_result(
    scanned: dict[str, Any],
    now: datetime,
    timezone: str,
    code: str,
    notes: list[str],
    *,
    added: bool = False,
) -> Result:
    """A scanned card's patron selected: what the ILS check says (`notes`: warnings; `added`:
    the patron was just created from the ILS), then the card's own warnings."""
    warnings = notes + await card_warnings(scanned, now, timezone)
    lines = warnings or [f"Card {scanned['card_number']}. Now scan each device to lend."]
    if added:
        lines.insert(0, "New here: added from the ILS.")
    kind = "warn" if warnings else "ok"
    return Result(kind, f"Patron: {scanned['name']}", lines, code, "patron")


async def _recheck_card(
    actor: Actor, now: datetime, scanned: dict[str, Any], settings: Settings
) -> tuple[dict[str, Any], list[str]]:
    """A card known here, checked with the ILS (or its recent answer): the patron as refreshed,
    and what the desk must be told when the ILS could not confirm it."""
    card = scanned["card_number"]
    check = await patron_source.check_card(card, None, now, settings, actor=actor)
    if check.verdict is patron_source.Verdict.UNAVAILABLE:
        return scanned, [
            "Not rechecked with the ILS (it did not answer): lending on what is known here."
        ]
    if check.verdict is patron_source.Verdict.NOT_A_PATRON:
        return scanned, ["The ILS does not know this card: check the patron's ID before lending."]
    if check.changed:
        scanned = await patron_by_card(card)
    return scanned, []


async def _card_from_ils(
    actor: Actor,
    now: datetime,
    code: str,
    timezone: str,
    settings: Settings,
    patron: dict[str, Any] | None,
) -> tuple[Result, dict[str, Any] | None]:
    """A code that is neither a card known here nor a device: a card the ILS knows becomes a
    local patron and is selected; otherwise the desk is told plainly (keeping `patron`)."""
    check = await patron_source.check_card(code, None, now, settings, actor=actor)
    if check.verdict is patron_source.Verdict.UNAVAILABLE:
        return Result(
            "bad",
            "The ILS did not answer; this card is not known here yet",
            [
                "It can be lent to once the ILS answers: scan the card again in a moment.",
                "If it is a device, nothing is registered with this code: check its label.",
            ],
            code,
            "refused",
        ), patron
    if not check.ok:
        return _unknown(code, "No library card or device has this code"), patron
    scanned = await patron_by_card(code)
    result = await _patron_result(scanned, now, timezone, code, [], added=check.created)
    return result, scanned


def _unknown(code: str, title: str) -> Result:
    return Result(
        "bad",
        title,
        [f"Nothing is registered as {code}. Check the label, or give the device to a librarian."],
        code,
        "not_found",
    )


async def checkin_scan(
    actor: Actor, now: datetime, code: str, slip_name: str = "initials"
) -> Result:
    try:
        reply = await check_in(actor, now, barcode=code)
    except LendingError as exc:
        if exc.code == Code.NOT_ON_LOAN:
            received = await _receive_transfer(actor, now, code)
            if received is not None:
                return received
            return Result(
                "warn",
                f"{code} was not on loan",
                ["Nothing to check in: put it back where it belongs."],
                code,
                "not_on_loan",
            )
        if exc.code == Code.DEVICE_NOT_FOUND:
            if await _patron_or_none(code) is not None:
                return Result(
                    "bad",
                    "That is a library card, not a device",
                    ["To lend to this patron, switch to Check out and scan the card again."],
                    code,
                    "refused",
                )
            return _unknown(code, f"No device has the code {code}")
        return await _refusal(exc, f"Not checked in: {code}", code)
    return await _checkin_result(code, reply, now, slip_name)


async def _receive_transfer(actor: Actor, now: datetime, code: str) -> Result | None:
    """A device sent from another service point, scanned in Check in mode, is received: it
    takes its place here (the hold shelf for the first patron waiting, else the shelf). None
    when the device is not in transit."""
    try:
        reply = await receive_device(actor, now, code)
    except LendingError as exc:
        if exc.code == Code.NOT_IN_TRANSIT:
            return None
        return await _refusal(exc, f"Not received: {code}", code)
    transfer = reply.transfer
    title = f"Received: {code} ({transfer.kind}) from {transfer.from_point}"
    result = Result("ok", title, [], code, "received")
    if reply.hold_for:
        waiting = await _patron_or_none(reply.hold_for)
        name = _name(waiting, reply.hold_for)
        result.shelf_for = f"Put on hold shelf for {name}"
        result.needs_action("hold_shelf", f"{code}: {result.shelf_for}.")
        result.lines.append(f"{name} was waiting for a {transfer.kind} here.")
    else:
        result.lines.append(f"Put it on the shelf at {transfer.to_point}.")
    return result


def slip_name(name: str, style: str) -> str:
    """The patron as a hold slip names them: "full", or "initials" (J. A. for James Ali)."""
    if style == "full":
        return name
    return " ".join(f"{part[0].upper()}." for part in name.split() if part[:1].isalnum()) or "?"


async def _checkin_result(
    code: str, reply: CheckinReply, now: datetime, slip_style: str = "initials"
) -> Result:
    loan, device, hold = reply.loan, reply.device, reply.hold
    borrower = await _patron_or_none(loan.patron)
    title = f"Returned: {code} ({device.kind}) from {_name(borrower, loan.patron)}"
    lines: list[str] = []
    if is_overdue(loan.due_at, now):
        lines.append(f"It was late: due {when(loan.due_at)}.")
    shelf_for = None
    todo: tuple[str, str] | None = None
    slip = None
    if hold:
        waiting = await _patron_or_none(hold.patron)
        name = _name(waiting, hold.patron)
        shelf_for = f"Put on hold shelf for {name}"
        if hold.ready_until:
            lines.append(f"Held for them until {when(hold.ready_until)}.")
        todo = ("hold_shelf", f"{code}: {shelf_for}, with its hold slip.")
        slip = {
            "hold": hold.id,
            "device": code,
            "kind": device.kind,
            "name": slip_name(waiting["name"], slip_style) if waiting else name,
            "until": when(hold.ready_until),
        }
    elif reply.set_aside:
        booked = reply.set_aside
        what = f"{booked.event} ({when(booked.starts_at)}, {booked.service_point})"
        lines.append(f"Set it aside for the booking: {what}.")
        todo = ("reservation", f"{code}: set it aside for {what}.")
    elif reply.repair:
        lines.append("Set it aside for repair: it has been sent to repair.")
        todo = ("repair", f"{code}: set it aside for repair.")
    elif device.status == DeviceStatus.IN_PROCESSING:
        steps = [step.name for step in reply.processing.steps] if reply.processing else []
        todo_steps = f" ({', '.join(steps)})" if steps else ""
        lines.append(f"Set it aside for its return-to-service steps{todo_steps}.")
        todo = ("processing", f"{code}: set it aside for return to service{todo_steps}.")
    else:
        lines.append("Put it back on the shelf.")
    kit = reply.kit
    if kit:
        names = ", ".join(item.name or "" for item in kit)
        lines.append(f"Check its kit came back: {names}.")
        short = [i.name for i in kit if i.outcome in (PartOutcome.MISSING, PartOutcome.DAMAGED)]
        if short:
            lines.append(f"Recorded as missing or damaged: {', '.join(short)}.")
            todo = todo or ("kit", f"{code}: kit part missing or damaged ({', '.join(short)}).")
    line = reply.line
    if line and line.restore_queued:
        number = line.phone_number or line.iccid or ""
        lines.append(f"Line restore queued: its service ({number}) will be turned back on.")
    if reply.charges_waived:
        lines.append(f"It had been recorded as lost: {reply.charges_waived} charge(s) waived.")
    result = Result(
        "ok", title, lines, code, "checkin", loan_id=loan.id, shelf_for=shelf_for, kit=kit
    )
    result.slip = slip
    if todo:
        result.needs_action(*todo)
    return result


async def renew_loan(
    actor: Actor, now: datetime, loan_id: int, patron: dict[str, Any] | None, device: str
) -> Result:
    """Renew a loan from the patron panel; `device` names it in a refusal."""
    name = _name(patron, None)
    try:
        reply = await renew(actor, now, loan_id)
    except LendingError as exc:
        title = f"Not renewed: {device or f'loan {loan_id}'} for {name}"
        return await _refusal(exc, title, device, patron)
    loan = reply.loan
    return Result(
        "ok",
        f"Renewed: {loan.device} for {name}",
        [f"Now due {when(loan.due_at)}."],
        loan.device,
        "renew",
        loan_id=loan_id,
    )
