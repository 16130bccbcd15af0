"""SIP2 messages as text: parsing a frame into its command, fixed fields and variable fields,
building one, the error-detection trailer (AY sequence, AZ checksum) and SIP dates. Standard
library only; no sockets.

A frame is a 2-digit command, fixed-width fields, then variable fields `XXvalue|`, and, when
error detection is on, `AY<digit>AZ<4 hex>` before the CR. Fields may come in any order,
unknown ones are kept (and ignored by the handlers), a field may repeat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

__all__ = [
    "FIXED",
    "FrameError",
    "Message",
    "build",
    "checksum",
    "checksum_ok",
    "parse",
    "parse_date",
    "sip_date",
]

MAX_FIELD = 255  # variable fields are capped at 255 characters

# The fixed fields of each message, in order: (name, width).
FIXED: dict[str, tuple[tuple[str, int], ...]] = {
    # Requests (from the kiosk, or from us to an ILS)
    "93": (("uid_algorithm", 1), ("pwd_algorithm", 1)),
    "99": (("status", 1), ("max_print_width", 3), ("protocol_version", 4)),
    "23": (("language", 3), ("date", 18)),
    "63": (("language", 3), ("date", 18), ("summary", 10)),
    "11": (("renewal_policy", 1), ("no_block", 1), ("date", 18), ("nb_due_date", 18)),
    "09": (("no_block", 1), ("date", 18), ("return_date", 18)),
    "29": (("third_party", 1), ("no_block", 1), ("date", 18), ("nb_due_date", 18)),
    "65": (("date", 18),),
    "17": (("date", 18),),
    "35": (("date", 18),),
    "97": (),
    "96": (),
    # Responses
    "94": (("ok", 1),),
    "98": (
        ("online", 1),
        ("checkin_ok", 1),
        ("checkout_ok", 1),
        ("renewal_policy", 1),
        ("status_update_ok", 1),
        ("offline_ok", 1),
        ("timeout", 3),
        ("retries", 3),
        ("date", 18),
        ("protocol_version", 4),
    ),
    "24": (("patron_status", 14), ("language", 3), ("date", 18)),
    "64": (
        ("patron_status", 14),
        ("language", 3),
        ("date", 18),
        ("holds", 4),
        ("overdue", 4),
        ("charged", 4),
        ("fines", 4),
        ("recalls", 4),
        ("unavailable_holds", 4),
    ),
    "12": (("ok", 1), ("renewal_ok", 1), ("magnetic", 1), ("desensitize", 1), ("date", 18)),
    "30": (("ok", 1), ("renewal_ok", 1), ("magnetic", 1), ("desensitize", 1), ("date", 18)),
    "10": (("ok", 1), ("resensitize", 1), ("magnetic", 1), ("alert", 1), ("date", 18)),
    "66": (("ok", 1), ("renewed", 4), ("unrenewed", 4), ("date", 18)),
    "18": (("circulation_status", 2), ("security_marker", 2), ("fee_type", 2), ("date", 18)),
    "36": (("end_session", 1), ("date", 18)),
}

_TRAILER = re.compile(r"(?:\|?AY([0-9])AZ([0-9A-Fa-f]{4})|\|?AZ([0-9A-Fa-f]{4}))$")
_FIELD_ID = re.compile(r"^[A-Z][A-Z]$")


class FrameError(ValueError):
    """A frame that cannot be read as the message its command names (too short for its fixed
    fields, not a known command). `command` is what the frame started with, if anything."""

    def __init__(self, message: str, command: str = "") -> None:
        super().__init__(message)
        self.command = command


@dataclass
class Message:
    command: str
    fixed: dict[str, str] = field(default_factory=dict)
    fields: dict[str, list[str]] = field(default_factory=dict)
    sequence: str | None = None  # AY, when the frame had a trailer
    checksum: str | None = None  # AZ as sent (upper-cased), when the frame had one

    def get(self, field_id: str, default: str | None = None) -> str | None:
        values = self.fields.get(field_id)
        return values[0] if values else default

    def all(self, field_id: str) -> list[str]:
        return list(self.fields.get(field_id, ()))


def checksum(text: str, encoding: str = "cp850") -> str:
    """The AZ value for `text` (everything from the command through "AZ"): the two's
    complement of the low 16 bits of the sum of its bytes (in the session's encoding), as 4
    upper-case hex digits."""
    total = sum(text.encode(encoding, errors="replace"))
    return f"{(-total) & 0xFFFF:04X}"


def checksum_ok(frame: str, encoding: str = "cp850") -> bool | None:
    """Whether the frame's AZ matches what precedes it; None when it has no AZ."""
    frame = frame.rstrip("\r\n")
    match = _TRAILER.search(frame)
    if match is None:
        return None
    value = match.group(2) or match.group(3)
    prefix = frame[: match.end() - 4]
    total = sum(prefix.encode(encoding, errors="replace"))
    return (total + int(value, 16)) & 0xFFFF == 0


def parse(frame: str) -> Message:
    """Read one frame (its CR or CR LF already taken off). Lenient the way real kiosks need:
    any field order, unknown fields kept, a missing final `|`, a trailer or none; strict only
    about what it cannot read (an unknown command, fixed fields cut short): FrameError."""
    frame = frame.rstrip("\r\n")
    command = frame[:2]
    if command not in FIXED:
        raise FrameError(f"unknown command {command!r}", command if command.isdigit() else "")
    sequence = value = None
    body = frame
    match = _TRAILER.search(frame)
    if match is not None:
        sequence = match.group(1)
        value = (match.group(2) or match.group(3)).upper()
        body = frame[: match.start()]
    fixed: dict[str, str] = {}
    at = 2
    for name, width in FIXED[command]:
        piece = body[at : at + width]
        if len(piece) < width:
            raise FrameError(f"message {command} is cut short in its fixed field {name}", command)
        fixed[name] = piece
        at += width
    fields: dict[str, list[str]] = {}
    rest = body[at:]
    for piece in rest.split("|"):
        if len(piece) < 2 or not _FIELD_ID.match(piece[:2]):
            continue  # an empty piece (a final `|`) or junk: nothing to read
        fields.setdefault(piece[:2], []).append(piece[2:])
    return Message(command, fixed, fields, sequence, value)


def _clean(value: str) -> str:
    """A field value as it may be sent: no delimiter, no CR or LF, at most 255 characters."""
    return value.replace("|", "/").replace("\r", " ").replace("\n", " ")[:MAX_FIELD]


def build(
    command: str,
    fixed: list[str] | tuple[str, ...] = (),
    fields: list[tuple[str, str | None]] | tuple[tuple[str, str | None], ...] = (),
    *,
    sequence: str | None = None,
    trailer: bool = False,
    encoding: str = "cp850",
) -> str:
    """A frame (without its CR): the fixed values as given (each already its width), the
    variable fields in order (None values left out), and AY/AZ when `trailer` (AY only with a
    `sequence`: 96 and 97 carry AZ alone)."""
    text = command + "".join(fixed)
    text += "".join(f"{fid}{_clean(value)}|" for fid, value in fields if value is not None)
    if trailer:
        if sequence is not None:
            text += f"AY{sequence}"
        text += "AZ"
        text += checksum(text, encoding)
    return text


def sip_date(moment: datetime, zone: tzinfo | None = None) -> str:
    """`YYYYMMDDZZZZHHMMSS` in `zone` (local time: four spaces), or UTC (`   Z`)."""
    if zone is None:
        return (
            moment.astimezone(UTC).strftime("%Y%m%d")
            + "   Z"
            + moment.astimezone(UTC).strftime("%H%M%S")
        )
    local = moment.astimezone(zone)
    return local.strftime("%Y%m%d") + "    " + local.strftime("%H%M%S")


def parse_date(value: str | None, zone: tzinfo) -> datetime | None:
    """A SIP date as an aware datetime (local time read in `zone`), or None when it is blank
    or not a date (clients send 18 spaces for "none")."""
    if not value or not value.strip() or len(value) < 18:
        return None
    try:
        day = datetime.strptime(value[:8] + value[12:18], "%Y%m%d%H%M%S")
    except ValueError:
        return None
    marker = value[8:12]
    if marker.strip() == "Z":
        return day.replace(tzinfo=UTC)
    return day.replace(tzinfo=zone)
