"""Checking one CSV row of devices, service lines or patrons, with no database.

Each check reuses the validator the API uses for that field (kind, IMEI, cost, ICCID, phone
number, email, language, PIN, scanned-code clean-up), so a CSV row and a JSON body follow the
same rules. Lengths are the API's. Only the columns present in the file appear in the result:
re-importing a file without, say, `notes` leaves the stored notes alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from ...circulation import Invalid, LineStatus, normalize_code
from ...circulation.identifiers import valid_iccid, valid_msisdn
from ...circulation.states import values
from ..inventory.devices import amount_to_cents, valid_barcode, valid_imei
from ..library.policies import valid_kind
from ..people.patrons import valid_email, valid_language, valid_pin
from .csv_read import RowError

__all__ = ["DEVICES", "LINES", "PATRONS", "SPECS", "RowSpec", "check_cells", "check_row"]

_TRUE = ("true", "yes", "y", "1")
_FALSE = ("false", "no", "n", "0", "")


class CellError(ValueError):
    pass


def _text(limit: int, required: bool = False) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        if not value:
            if required:
                raise CellError("must not be empty")
            return None
        if len(value) > limit:
            raise CellError(f"at most {limit} characters")
        return value

    return check


def _code(value: str) -> str:
    """A barcode or card number, cleaned as the API cleans what a scanner typed."""
    code = normalize_code(value)
    if not code:
        raise CellError("must not be empty")
    if len(code) > 64:
        raise CellError("at most 64 characters")
    return code


def _shared(validator: Callable[[str], Any]) -> Callable[[str], Any]:
    """A service validator (raising Invalid) as a cell check."""

    def check(value: str) -> Any:
        try:
            return validator(value)
        except Invalid as exc:
            raise CellError(exc.errors[0].message) from None

    return check


def _money(value: str) -> int:
    cleaned = value.replace("$", "").replace(",", "").strip()
    if not cleaned:
        return 0
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise CellError("not an amount, e.g. 129.99") from None
    if not amount.is_finite():
        raise CellError("not an amount, e.g. 129.99")
    return _shared(lambda a: amount_to_cents(float(a)))(amount)


def _date(value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CellError("not a date; write it as YYYY-MM-DD") from None


def _bool(value: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise CellError("write true or false")


def _optional(check: Callable[[str], Any]) -> Callable[[str], Any]:
    return lambda value: check(value) if value else None


def _one_of(choices: tuple[str, ...], default: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        lowered = value.lower() or default
        if lowered not in choices:
            raise CellError(f"must be one of {', '.join(choices)}")
        return lowered

    return check


@dataclass(frozen=True)
class RowSpec:
    name: str  # devices, lines, patrons
    key: str  # the column that identifies a row: re-importing updates by it
    required: tuple[str, ...]
    checks: dict[str, Callable[[str], Any]]
    unique: tuple[str, ...] = ()  # other columns that may not repeat within one file
    ignored: tuple[str, ...] = ()  # columns our export writes that an import does not set

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.checks)

    @property
    def known(self) -> tuple[str, ...]:
        return self.columns + self.ignored


DEVICES = RowSpec(
    "devices",
    "barcode",
    ("barcode", "kind", "model", "serial_number", "branch"),
    {
        "barcode": lambda v: _shared(valid_barcode)(_code(v)),
        "kind": _shared(lambda v: valid_kind(v.lower())),
        "model": _text(200, required=True),
        "serial_number": _text(100, required=True),
        "branch": _text(32, required=True),
        "imei": _shared(lambda v: valid_imei(v.replace(" ", "").replace("-", ""))),
        "replacement_cost": _money,
        "notes": lambda v: _text(4000)(v) or "",
        "wifi_name": _text(64),
        "wifi_password": _text(64),
        "acquired_on": _date,
    },
    ignored=("status",),  # a device's status follows circulation
)

LINES = RowSpec(
    "lines",
    "iccid",
    ("iccid", "phone_number", "carrier"),
    {
        "iccid": _shared(valid_iccid),
        "phone_number": _shared(valid_msisdn),
        "carrier": _text(100, required=True),
        "plan": _text(200),
        "status": _one_of(values(*LineStatus), LineStatus.ACTIVE),
        "device": _optional(_code),
    },
    unique=("phone_number", "device"),
)

PATRONS = RowSpec(
    "patrons",
    "card_number",
    ("card_number", "name"),
    {
        "card_number": _code,
        "name": _text(200, required=True),
        "email": _shared(lambda v: valid_email(_text(254)(v))),
        "phone": _text(32),
        "language": _shared(lambda v: valid_language(v.lower() or "en")),
        "household": _text(64),
        "branch": _text(32),
        "expires_on": _date,
        "blocked": _bool,
        "block_reason": _text(500),
        "pin": _optional(_shared(valid_pin)),
    },
)

SPECS = {spec.name: spec for spec in (DEVICES, LINES, PATRONS)}


def check_row(
    spec: RowSpec, line: int, cells: dict[str, str], errors: list[RowError]
) -> dict[str, Any] | None:
    """The row's values, cleaned, or None after adding one error per bad cell to `errors`."""
    values, ok = check_cells(spec, line, cells, errors)
    return values if ok else None


def check_cells(
    spec: RowSpec, line: int, cells: dict[str, str], errors: list[RowError]
) -> tuple[dict[str, Any], bool]:
    """The cleaned values of the row's good cells, and whether every cell was good (one error
    per bad cell is added to `errors`)."""
    values: dict[str, Any] = {}
    ok = True
    for column, raw in cells.items():
        if column in spec.ignored:
            continue
        try:
            values[column] = spec.checks[column](raw)
        except CellError as exc:
            errors.append(RowError(line, column, str(exc)))
            ok = False
    return values, ok
