"""Program refusals in the pages' words: what a refusal code (with its facts) means to the clerk
or partner staff, and what to do about it. The desk's result area and the program page's
participant table both read these; a refusal's English detail from the rules is the fallback."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..circulation.codes import Code

__all__ = ["program_refusal", "standing_words"]


def _hours(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "?"
    return f"{number:g} hour{'' if number == 1 else 's'}"


def _list(values: Any) -> str:
    return ", ".join(str(v) for v in values) if isinstance(values, list | tuple) else ""


# A participant's standing in a program (EnrolmentOut.refusal), as the program page shows it.
_STANDING = {
    Code.NOT_ENROLLED: "Not enrolled",
    Code.ENROLMENT_EXPIRED: "Enrolment expired: verify eligibility again",
    Code.ATTESTATION_REQUIRED: "Needs the household's statement",
    Code.TRAINING_REQUIRED: "Training hours not done yet",
    Code.AGREEMENT_REQUIRED: "Agreement not signed",
    Code.AGREEMENT_EXPIRED: "Agreement expired: sign it again",
}


def standing_words(code: str | None) -> str:
    """ "Ready to borrow", or why not, for the participant table."""
    if code is None:
        return "Ready to borrow"
    return _STANDING.get(code, code.replace("_", " ").capitalize())  # type: ignore[call-overload]


def program_refusal(
    code: str, facts: Mapping[str, Any], program: str | None, detail: str
) -> list[str] | None:
    """The desk's lines for a checkout refused by a program's rules (what happened, then what to
    do), or None when `code` is not a program refusal. `program`: the program chosen at the
    desk, if any (the refusal may concern the one the checkout fell under instead)."""
    name = f"program {program}" if program else "the program"
    if code == Code.NOT_ENROLLED:
        return [
            f"The patron is not enrolled in {name}.",
            "Enrol them on the program's page (after checking their eligibility), "
            "or choose another program.",
        ]
    if code == Code.ENROLMENT_EXPIRED:
        return [
            f"Their enrolment ended on {facts.get('expires_on', '?')}.",
            "Check their eligibility again and extend the enrolment on the program's page.",
        ]
    if code == Code.ATTESTATION_REQUIRED:
        return [
            "The funder needs the household's statement that it would otherwise have no "
            "internet access.",
            "Record the statement on the program's page, then lend.",
        ]
    if code == Code.TRAINING_REQUIRED:
        return [
            f"Training not done: {_hours(facts.get('done'))} of the "
            f"{_hours(facts.get('required'))} required.",
            "Sign them up for a training session; their card is scanned there.",
        ]
    if code == Code.AGREEMENT_REQUIRED:
        version = facts.get("version")
        return [
            "The patron has not signed the borrower agreement"
            + (f" (version {version})." if version else "."),
            "Have them sign it on the program's page, then scan the device again.",
        ]
    if code == Code.AGREEMENT_EXPIRED:
        return [
            f"Their borrower agreement expired on {facts.get('expires_on', '?')}.",
            "Have them sign it again on the program's page.",
        ]
    if code == Code.PROGRAM_NOT_STARTED:
        return [f"The program starts on {facts.get('starts_on', '?')}.", "It lends from then."]
    if code == Code.PROGRAM_ENDED:
        return [
            f"The program ended on {facts.get('ends_on', '?')}.",
            "Lend outside the program (no program chosen) if the device is the library's own.",
        ]
    if code == Code.KIND_NOT_IN_PROGRAM:
        kinds = _list(facts.get("kinds"))
        return [
            "The program does not lend this kind of device"
            + (f" (it lends: {kinds})." if kinds else "."),
            "Lend a device of the program's kind, or choose another program.",
        ]
    if code == Code.PROGRAM_NOT_HERE:
        points = _list(facts.get("points"))
        return [
            "The program does not lend at this desk" + (f" (only at {points})." if points else "."),
            "Lend at one of the program's service points.",
        ]
    if code == Code.PROGRAM_STOCK_EXHAUSTED:
        quota = facts.get("quota")
        return [
            f"All {f'{quota} ' if quota is not None else ''}of the program's devices of this "
            "kind are out.",
            "Wait for one to come back, or lend outside the program.",
        ]
    if code == Code.DEVICE_IN_OTHER_PROGRAM:
        owner = facts.get("program")
        if owner and owner != program and program:
            return [
                f"This device belongs to program {owner}'s stock, not {program}.",
                f"Choose program {owner} to lend it, or lend another device.",
            ]
        return [
            f"Program {owner} lends only the devices assigned to it."
            if owner
            else "The program lends only the devices assigned to it.",
            "Lend one of the program's own devices.",
        ]
    if code == Code.PROGRAM_CHOICE_NEEDED:
        programs = _list(facts.get("programs"))
        return [
            "The patron is in several programs that lend this kind"
            + (f" ({programs})." if programs else "."),
            "Choose the program in the Program list, then scan the device again.",
        ]
    if code == Code.LOAN_LIMIT_REACHED and facts.get("scope") == "program_household":
        limit = facts.get("limit")
        return [
            f"The household already has the {limit} device{'' if limit == 1 else 's'} the "
            "program lends per household.",
            "Check one of the household's devices in first.",
        ]
    if code == Code.PROGRAM_NOT_FOUND:
        return [detail, "Choose a program from the list."]
    return None
