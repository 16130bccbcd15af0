"""Turning a device barcode into bars: Code128 (default), Code39 or Codabar, with python-barcode.

A pattern is kept as runs of bars, in python-barcode's units: `(start, width)` of each dark bar,
the total length, and the narrowest element (1 unit for Code128 and Code39; 2 for Codabar, whose
wide elements are 5 units: a 2.5 ratio). The layout scales units to millimetres so the narrowest
element is never under 0.25 mm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby

from ..circulation import FieldError, Invalid
from ..circulation.codes import Code
from ..circulation.scan import check_digit_problem
from .problems import refuse

__all__ = [
    "QUIET_ZONE",
    "SYMBOLOGIES",
    "Encoded",
    "check_codes",
    "encode",
    "symbology_name",
]

SYMBOLOGIES = ("code128", "codabar", "code39")
QUIET_ZONE = 10  # narrow elements of blank space each side of the bars
CODABAR_START, CODABAR_STOP = "A", "A"
_NAMES = {"code128": "Code 128", "codabar": "Codabar", "code39": "Code 39"}
_CODE39 = re.compile(r"^[0-9A-Z \-.$/+%]+$")
_CODABAR = re.compile(r"^[0-9\-$:/.+]+$")


@dataclass(frozen=True)
class Encoded:
    symbology: str
    code: str  # the device barcode, as stored and as a scanner reads it back
    data: str  # what the bars carry (Codabar adds its start/stop letters)
    bars: tuple[tuple[int, int], ...]  # (start, width) of each dark bar, in units
    length: int  # units from the first bar to the end of the last
    narrow: int  # units in the narrowest element


def symbology_name(symbology: str) -> str:
    return _NAMES.get(symbology, symbology)


def _problem(code: str, symbology: str) -> str | None:
    """Why `code` cannot be printed in `symbology`, or None."""
    checksum = check_digit_problem(code)
    if checksum:
        return checksum
    if symbology == "code128":
        if not all(" " <= ch <= "~" for ch in code):
            return "Code 128 labels take printable ASCII characters only"
    elif symbology == "code39":
        if not _CODE39.match(code):
            hint = " (lowercase letters cannot be printed)" if code.upper() != code else ""
            return f"Code 39 takes A-Z, 0-9, space and - . $ / + %{hint}"
    elif symbology == "codabar":
        if not _CODABAR.match(code):
            return "Codabar takes digits and - $ : / . + only"
    else:
        return f"unknown symbology; use one of {', '.join(SYMBOLOGIES)}"
    return None


def check_codes(codes: list[str], symbology: str, field: str = "barcodes") -> None:
    """Refuse (422) the whole request when any code cannot be printed; name up to ten."""
    if symbology not in SYMBOLOGIES:
        raise refuse(
            "symbology", f"must be one of {', '.join(SYMBOLOGIES)}", Code.UNKNOWN_SYMBOLOGY
        )
    errors = []
    checksum = False
    for code in codes:
        problem = _problem(code, symbology)
        if problem:
            checksum = checksum or "check digit" in problem
            errors.append(FieldError(field, f"{code}: {problem}"))
    if errors:
        shown = errors[:10]
        more = f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""
        error = Invalid(shown, "; ".join(e.message for e in shown) + more)
        error.code = (
            Code.BAD_CHECK_DIGIT if checksum and len(errors) == 1 else Code.BARCODE_NOT_ENCODABLE
        )
        raise error


@lru_cache(maxsize=4096)
def encode(code: str, symbology: str) -> Encoded:
    from barcode import Code39, Code128  # imported when a label is made, not by every process
    from barcode.codabar import CODABAR

    check_codes([code], symbology, "barcode")
    if symbology == "code128":
        data, pattern = code, Code128(code, writer=None).build()[0]
    elif symbology == "code39":
        data, pattern = code, Code39(code, writer=None, add_checksum=False).build()[0]
    else:
        data = f"{CODABAR_START}{code}{CODABAR_STOP}"
        pattern = CODABAR(data, writer=None).build()[0]
    pattern = pattern.strip("0")
    bars: list[tuple[int, int]] = []
    narrow = len(pattern)
    position = 0
    for bit, run in groupby(pattern):
        width = len(list(run))
        narrow = min(narrow, width)
        if bit == "1":
            bars.append((position, width))
        position += width
    return Encoded(symbology, code, data, tuple(bars), len(pattern), narrow)
