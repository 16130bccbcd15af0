"""A SIP2 client for checking library cards against the library's ILS: one connection per
check (TCP, optionally TLS), login (93) when an account is configured, then patron
information (63), with the PIN when there is one to check.

Every request carries the error-detection trailer (AY sequence, AZ checksum). A response's
checksum is verified when it has one (a bad one: ask again with 97, twice at most); a 96 from
the ILS (our frame arrived damaged) sends the request again. Lenient about what real ILSs
send: CR or CR LF, fields in any order, unknown fields, blank dates, no trailer, a sequence
number that does not echo ours (logged). Anything that keeps the answer from coming (refused
connection, no answer within the timeout, a closed connection, an unreadable frame, a refused
login) is a `Sip2Unavailable` whose message says which, never containing a PIN or password.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
from dataclasses import dataclass, field, replace
from datetime import date, datetime, tzinfo

from .codec import FrameError, Message, build, checksum_ok, parse, sip_date

__all__ = ["PatronInfo", "Sip2Endpoint", "Sip2Unavailable", "patron_information"]

log = logging.getLogger("lending.sip2.client")

MAX_FRAME = 64 * 1024  # a 64 with every list asked for stays far below this
RETRIES = 2  # resends asked for (97) or made (after a 96) for one request


class Sip2Unavailable(Exception):
    """The ILS could not be asked, or did not answer usably; the message says why."""


@dataclass(frozen=True)
class Sip2Endpoint:
    """Where the ILS's SIP2 service is and how to talk to it."""

    host: str
    port: int
    account: str = ""  # CN; empty: no login (93) is sent
    password: str = field(default="", repr=False)  # CO
    location: str = ""  # CP
    institution: str = ""  # AO
    terminal_password: str = field(default="", repr=False)  # AC in 63
    tls: bool = False
    verify: bool = True  # check the ILS's certificate (and host name)
    cafile: str = ""  # a CA bundle that signed the ILS's certificate ("": the system's)
    encoding: str = "cp850"
    timeout: float = 5.0  # seconds for connecting, and for each answer

    def ssl_context(self) -> ssl.SSLContext | None:
        if not self.tls:
            return None
        context = ssl.create_default_context(cafile=self.cafile or None)
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context


@dataclass(frozen=True)
class PatronInfo:
    """What a patron information response (64) says about a card."""

    card: str  # AA as the ILS sent it (or as asked, when it sent none)
    valid_patron: bool | None  # BL: None when absent
    valid_pin: bool | None  # CQ: None when absent (a PIN was not asked for, or not checked)
    name: str = ""  # AE
    status: str = ""  # the 14 patron status flags (Y or space)
    language: str = "000"
    email: str = ""  # BE
    phone: str = ""  # BF
    address: str = ""  # BD
    home_library: str = ""  # AQ (Evergreen, Koha)
    expires_on: date | None = None  # PA (Evergreen, Koha) or PX (Polaris); None: blank or absent
    fee_amount: str = ""  # BV
    fee_limit: str = ""  # CC
    currency: str = ""  # BH
    screen_messages: tuple[str, ...] = ()  # AF

    def without_pin(self) -> PatronInfo:
        """The same facts, forgetting whether a PIN was right (what may be kept in a cache)."""
        return replace(self, valid_pin=None)


def _yes(value: str | None) -> bool | None:
    if value is None:
        return None
    return value.strip().upper() == "Y"


_DAY = re.compile(r"^\s*(\d{4})-?(\d{2})-?(\d{2})")


def expiry_date(value: str | None) -> date | None:
    """An expiry as ILSs send it: YYYYMMDD, a SIP date (YYYYMMDDZZZZHHMMSS) or YYYY-MM-DD;
    None for a blank or anything else."""
    match = _DAY.match(value or "")
    if match is None:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def patron_info(message: Message, card: str) -> PatronInfo:
    """A 64 (or 24) read into PatronInfo."""

    def text(field_id: str) -> str:
        return (message.get(field_id) or "").strip()

    # Polaris uses PA for something else and sends its expiry in PX: try PX first, and take PA
    # only when it reads as a date.
    expires = expiry_date(message.get("PX")) or expiry_date(message.get("PA"))
    return PatronInfo(
        card=text("AA") or card,
        valid_patron=_yes(message.get("BL")),
        valid_pin=_yes(message.get("CQ")),
        name=text("AE"),
        status=message.fixed.get("patron_status", ""),
        language=message.fixed.get("language", "000"),
        email=text("BE"),
        phone=text("BF"),
        address=text("BD"),
        home_library=text("AQ"),
        expires_on=expires,
        fee_amount=text("BV"),
        fee_limit=text("CC"),
        currency=text("BH"),
        screen_messages=tuple(m for m in message.all("AF") if m.strip()),
    )


class _Session:
    """One connection to the ILS: numbered, checksummed requests and their responses."""

    def __init__(
        self, endpoint: Sip2Endpoint, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.endpoint = endpoint
        self.reader = reader
        self.writer = writer
        self.sequence = 0

    @classmethod
    async def open(cls, endpoint: Sip2Endpoint) -> _Session:
        where = f"{endpoint.host}:{endpoint.port}"
        try:
            async with asyncio.timeout(endpoint.timeout):
                reader, writer = await asyncio.open_connection(
                    endpoint.host,
                    endpoint.port,
                    ssl=endpoint.ssl_context(),
                    server_hostname=endpoint.host if endpoint.tls else None,
                    limit=MAX_FRAME,
                )
        except TimeoutError:
            raise Sip2Unavailable(
                f"the ILS at {where} did not accept a connection within {endpoint.timeout:g} s"
            ) from None
        except ssl.SSLError as exc:
            raise Sip2Unavailable(
                f"the TLS handshake with the ILS at {where} failed ({exc.reason or exc})"
            ) from None
        except OSError as exc:
            reason = exc.strerror or exc.__class__.__name__
            raise Sip2Unavailable(f"the ILS at {where} cannot be reached ({reason})") from None
        return cls(endpoint, reader, writer)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(1):
                await self.writer.wait_closed()

    def _send(self, frame: str) -> None:
        self.writer.write(frame.encode(self.endpoint.encoding, errors="replace") + b"\r")

    async def _read(self) -> tuple[str, bool | None]:
        """The next frame (CR or CR LF taken off) and whether its checksum is right (None:
        it has none)."""
        endpoint = self.endpoint
        try:
            async with asyncio.timeout(endpoint.timeout):
                while True:
                    raw = (await self.reader.readuntil(b"\r")).lstrip(b"\n")
                    if raw.strip(b"\r\n"):
                        break  # skip an empty line (a stray LF, CR CR)
        except TimeoutError:
            raise Sip2Unavailable(f"the ILS did not answer within {endpoint.timeout:g} s") from None
        except asyncio.IncompleteReadError:
            raise Sip2Unavailable("the ILS closed the connection without answering") from None
        except asyncio.LimitOverrunError:
            raise Sip2Unavailable("the ILS sent a frame too long to be a SIP2 message") from None
        except OSError as exc:
            raise Sip2Unavailable(f"the connection to the ILS failed ({exc})") from None
        raw = raw.rstrip(b"\r\n")
        # The checksum is over the bytes as sent: latin-1 maps each byte to one character, so
        # the codec's sum over it is the sum of the bytes whatever the session's encoding.
        good = checksum_ok(raw.decode("latin-1"), "latin-1")
        return raw.decode(endpoint.encoding, errors="replace"), good

    async def request(
        self,
        command: str,
        fixed: list[str],
        fields: list[tuple[str, str | None]],
        expect: str,
    ) -> Message:
        """Send one request and return its response (command `expect`)."""
        sequence = str(self.sequence % 10)
        self.sequence += 1
        frame = build(
            command,
            fixed,
            fields,
            sequence=sequence,
            trailer=True,
            encoding=self.endpoint.encoding,
        )
        self._send(frame)
        resends = 0
        while True:
            text, good = await self._read()
            if good is False or text.startswith("96"):
                if resends >= RETRIES:
                    raise Sip2Unavailable("the ILS's answers kept arriving damaged")
                resends += 1
                if good is False:  # its answer arrived damaged: ask for it again
                    self._send(build("97", trailer=True, encoding=self.endpoint.encoding))
                else:  # it says our request arrived damaged: send it again
                    self._send(frame)
                continue
            try:
                message = parse(text)
            except FrameError as exc:
                raise Sip2Unavailable(f"the ILS's answer could not be read ({exc})") from None
            if message.command != expect:
                raise Sip2Unavailable(
                    f"the ILS answered {message.command} to a {command} (expected {expect})"
                )
            if message.sequence is not None and message.sequence != sequence:
                log.warning(
                    "the ILS answered %s with sequence %s, not %s",
                    command,
                    message.sequence,
                    sequence,
                )
            return message

    async def log_in(self) -> None:
        endpoint = self.endpoint
        reply = await self.request(
            "93",
            ["0", "0"],
            [
                ("CN", endpoint.account),
                ("CO", endpoint.password),
                ("CP", endpoint.location or None),
            ],
            "94",
        )
        if reply.fixed.get("ok") != "1":
            raise Sip2Unavailable(
                f"the ILS refused the SIP2 login of account {endpoint.account!r} "
                "(check LENDING_PATRON_SOURCE's account and password)"
            )


async def patron_information(
    endpoint: Sip2Endpoint,
    card: str,
    pin: str | None,
    now: datetime,
    zone: tzinfo | None = None,
) -> PatronInfo:
    """Ask the ILS about `card` (login first when the endpoint has an account). With a `pin`
    the ILS checks it (CQ in the answer); without one no AD is sent. Sip2Unavailable when the
    answer does not come."""
    session = await _Session.open(endpoint)
    try:
        if endpoint.account:
            await session.log_in()
        reply = await session.request(
            "63",
            ["001", sip_date(now, zone), " " * 10],
            [
                ("AO", endpoint.institution),
                ("AA", card),
                ("AC", endpoint.terminal_password),
                ("AD", pin),
            ],
            "64",
        )
    finally:
        await session.close()
    return patron_info(reply, card)
