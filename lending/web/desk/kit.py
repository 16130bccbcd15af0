"""The desk's kit checklist: after a checkin whose device has a kit, staff mark each part
returned, missing or damaged (and, if need be, the device itself as damaged) and send it in one
request. Parts missing or damaged are charged to the loan by lending.services.inventory.kits (the same
service as `POST /api/loans/{id}/kit`); a damaged device goes to repair through
lending.services.inventory.maintenance. The answer is a desk `Result` listing the charges."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...circulation import LendingError, PartOutcome, normalize_code
from ...schemas.base import MAX_ID, KitItemOut
from ...services.actors import Actor
from ...services.circulation.loans import list_loans
from ...services.inventory import kits, maintenance
from .scan import MAX_CODE, Result

__all__ = ["OUTCOMES", "record_kit"]

OUTCOMES = (PartOutcome.RETURNED, PartOutcome.MISSING, PartOutcome.DAMAGED)
SHORT = (PartOutcome.MISSING, PartOutcome.DAMAGED)  # charged to the loan
MAX_DAMAGE = 2000  # the API's limit for a repair's problem


def _money(value: float) -> str:
    return f"{value:.2f}"


def _again(
    code: str, loan_id: int, items: list[KitItemOut], form: dict[str, Any], message: str
) -> Result:
    """The checklist shown again with what was chosen and what to fix."""
    return Result(
        "bad",
        f"Kit not recorded: {code}",
        [message],
        code,
        "kit_refused",
        loan_id=loan_id,
        kit=items,
        kit_form=form,
    )


async def record_kit(actor: Actor, now: datetime, form: dict[str, str]) -> Result:
    raw = form.get("loan", "").strip()
    code = normalize_code(form.get("device", ""))[:MAX_CODE]
    if not (raw.isdigit() and len(raw) <= 10 and 1 <= int(raw) <= MAX_ID) or not code:
        return Result("bad", "That checklist's loan cannot be found", ["Scan the device again."])
    loan_id = int(raw)
    latest = (await list_loans(now, device=code, limit=1)).items
    if not latest or latest[0].id != loan_id:
        return Result(
            "bad",
            f"Kit not recorded: {code}",
            ["This checklist is not for the device's latest loan. Scan the device again."],
            code,
            "kit_refused",
        )
    try:
        items = (await kits.loan_kit(loan_id)).items
    except LendingError as exc:
        return Result("bad", f"Kit not recorded: {code}", [exc.detail], code, "kit_refused")

    chosen: dict[int, str] = {}
    for item in items:
        value = form.get(f"part-{item.part}", item.outcome)
        chosen[item.part] = value if value in OUTCOMES else ""
    damage = form.get("damage", "").replace("\x00", "").strip()
    damaged = form.get("device_damaged", "") != "" or bool(damage)
    kept = {"parts": chosen, "device_damaged": damaged, "damage": damage[:MAX_DAMAGE], "errors": {}}
    if any(v == "" for v in chosen.values()):
        kept["errors"]["parts"] = "Choose returned, missing or damaged for each part."
    if damaged and not damage:
        kept["errors"]["damage"] = "Say what is wrong with the device."
    elif len(damage) > MAX_DAMAGE:
        kept["errors"]["damage"] = f"Use at most {MAX_DAMAGE} characters."
    if kept["errors"]:
        return _again(code, loan_id, items, kept, "Fix the checklist, then record it again.")

    def of(outcome: str) -> list[str]:
        return [str(p) for p, v in chosen.items() if v == outcome]

    try:
        reply = await kits.record_part_outcomes(
            actor,
            now,
            loan_id,
            missing=of(PartOutcome.MISSING),
            damaged=of(PartOutcome.DAMAGED),
            returned=of(PartOutcome.RETURNED),
        )
    except LendingError as exc:
        return _again(code, loan_id, items, kept, exc.detail)

    lines = []
    total = 0.0
    short = [i.name for i in reply.items if i.outcome in SHORT]
    for item in reply.items:
        charge = item.charge
        if item.outcome in SHORT and charge:
            total += charge.amount
            lines.append(f"Charged {_money(charge.amount)} for {item.name} ({item.outcome}).")
    if not lines:
        lines.append("Every part came back: nothing charged.")
    elif len(lines) > 1:
        lines.append(f"Total charged to the loan: {_money(total)}.")
    kind = "ok"
    if damaged:
        try:
            await maintenance.open_repair(actor, now, code, problem=damage, cost=None)
        except LendingError as exc:
            kind = "warn"
            lines.append(f"Not sent to repair: {exc.detail}")
        else:
            lines.append("The device is damaged: set it aside, it has been sent to repair.")
    result = Result(kind, f"Kit recorded: {code}", lines, code, "kit", loan_id=loan_id)
    if damaged:
        result.needs_action("repair", f"{code}: set it aside for repair.")
    elif short:
        result.needs_action(
            "kit", f"{code}: kit part missing or damaged ({', '.join(short)}): charged to the loan."
        )
    return result
