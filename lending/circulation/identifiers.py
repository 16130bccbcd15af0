"""Validating the numbers a carrier line carries: ICCID, IMEI and phone number (MSISDN)."""

from __future__ import annotations

import re

from .errors import FieldError, Invalid
from .scan import luhn_valid

__all__ = ["valid_iccid", "valid_imei", "valid_msisdn"]

_PUNCTUATION = re.compile(r"[\s().\-]")


def valid_iccid(raw: str, field: str = "iccid") -> str:
    """19 or 20 digits (SIM cards print them with spaces), with a valid Luhn check digit."""
    iccid = re.sub(r"\s", "", raw)
    if not (iccid.isascii() and iccid.isdigit() and len(iccid) in (19, 20)):
        raise Invalid(FieldError(field, "an ICCID is 19 or 20 digits"))
    if not iccid.startswith("89"):
        raise Invalid(FieldError(field, "an ICCID starts with 89 (telecommunications)"))
    if not luhn_valid(iccid):
        raise Invalid(FieldError(field, "the ICCID's check digit is wrong; check for a typo"))
    return iccid


def valid_imei(raw: str, field: str = "imei") -> str:
    imei = re.sub(r"[\s\-]", "", raw)
    if not (imei.isascii() and imei.isdigit() and len(imei) == 15 and luhn_valid(imei)):
        raise Invalid(FieldError(field, "an IMEI is 15 digits with a valid check digit"))
    return imei


def valid_msisdn(raw: str, field: str = "phone_number", default_country: str = "1") -> str:
    """A phone number in E.164 form (+ and 8-15 digits). Ten-digit North American numbers
    typed without a country code get +1."""
    number = _PUNCTUATION.sub("", raw)
    if number.startswith("00"):
        number = "+" + number[2:]
    if not number.startswith("+"):
        if len(number) == 10 and number.isdigit():
            number = f"+{default_country}{number}"
        elif len(number) == 11 and number.startswith("1") and number.isdigit():
            number = "+" + number
        else:
            raise Invalid(
                FieldError(field, "give the number with its country code, e.g. +1 555 010 0100")
            )
    digits = number[1:]
    if not (digits.isascii() and digits.isdigit() and 8 <= len(digits) <= 15 and digits[0] != "0"):
        raise Invalid(FieldError(field, "not a phone number (E.164: + and 8 to 15 digits)"))
    return number
