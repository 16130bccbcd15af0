"""Normalising what a barcode scanner (or a person) typed into a code we can look up."""

from __future__ import annotations

import re

__all__ = ["check_digit_problem", "luhn_check_digit", "luhn_valid", "normalize_code"]

_CODABAR = re.compile(r"^[A-Da-d]([0-9][0-9\- $:/.+]*)[A-Da-d]$")
_SPACED_DIGITS = re.compile(r"^[0-9 ]+$")


def normalize_code(raw: str) -> str:
    """Return the barcode or card number as stored.

    Scanners in keyboard mode end a scan with CR, LF, CRLF or Tab, some insert spaces into
    14-digit library codes, and Codabar scanners may send the A-D start/stop letters.
    """
    code = raw.strip()
    match = _CODABAR.match(code)
    if match:
        code = match.group(1).strip()
    if _SPACED_DIGITS.match(code):
        digits = code.replace(" ", "")
        if len(digits) == 14:
            code = digits
    return code


def luhn_check_digit(payload: str) -> int:
    """The mod-10 (Luhn) check digit for a string of digits."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def luhn_valid(number: str) -> bool:
    return (
        number.isascii()
        and number.isdigit()
        and len(number) > 1
        and luhn_check_digit(number[:-1]) == int(number[-1])
    )


def check_digit_problem(code: str) -> str | None:
    """Why `code` is not a usable 14-digit library barcode (its last digit is a mod-10 check
    digit that scanners and labels rely on), or None. Other codes are not checked."""
    if not (code.isascii() and code.isdigit() and len(code) == 14) or luhn_valid(code):
        return None
    expected = luhn_check_digit(code[:-1])
    return (
        f"the last digit of a 14-digit library barcode is a check digit: for {code[:-1]} it "
        f"is {expected}, not {code[-1]}. Check the code for a typo"
    )
