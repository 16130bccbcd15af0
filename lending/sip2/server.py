"""The SIP2 server: a TCP (optionally TLS) listener for self-check kiosks and laptop lockers.

Each connection is one session. It must log in (93) with a SIP account before anything but 99
(answered before login when LENDING_SIP2_STATUS_BEFORE_LOGIN allows, the default; anything
else closes the session). Frames end with CR (CR LF accepted). When a request carries the
error-detection trailer (AY sequence, AZ checksum) the checksum is checked (a bad one gets 96)
and the response carries the trailer with the same sequence; a request repeated with the same
sequence and checksum gets the same response again without running twice (a kiosk that did not
hear the answer to a checkout must not lend twice); 97 asks for the last response again.

Frames longer than MAX_FRAME, half-sent frames and clients that go quiet end only their own
session; one response is written in a single send (some clients read once)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ..circulation import TooManyAttempts
from ..services._common.request_context import request_id_scope
from ..services.access.sip_accounts import SipLogin, log_in_kiosk
from ..services.library.service_points import PointRecord, point_by_code
from ..settings import Settings
from .codec import FrameError, Message, build, checksum_ok, parse, sip_date
from .handlers import HANDLERS, Reply, Request, permitted, supported_messages

__all__ = ["MAX_FRAME", "Sip2Server"]

log = logging.getLogger("lending.sip2")

MAX_FRAME = 8 * 1024  # a SIP message is a few hundred bytes; anything this long is not one
RESEND = "96"


@dataclass
class _Session:
    client: str
    encoding: str = "cp850"
    login: SipLogin | None = None
    point: PointRecord | None = None
    last: str | None = None  # the last response sent (97 asks for it again)
    last_key: tuple[str | None, str | None] | None = None  # (AY, AZ) of the request behind it
    served: int = 0
    extra: dict[str, str] = field(default_factory=dict)


class Sip2Server:
    def __init__(self, settings: Settings, clock: Callable[[], datetime] | None = None) -> None:
        self.settings = settings
        self.clock = clock or (lambda: datetime.now(UTC))
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()

    def _ssl(self) -> ssl.SSLContext | None:
        if not self.settings.sip2_tls_cert:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.settings.sip2_tls_cert, self.settings.sip2_tls_key)
        return context

    async def start(
        self, host: str | None = None, port: int | None = None, *, reuse_port: bool = False
    ) -> asyncio.Server:
        self._server = await asyncio.start_server(
            self._serve,
            host or self.settings.sip2_host,
            self.settings.sip2_port if port is None else port,
            limit=MAX_FRAME,
            ssl=self._ssl(),
            reuse_port=reuse_port or None,
        )
        return self._server

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.sockets[0].getsockname()[1]

    @property
    def sessions(self) -> int:
        return len(self._tasks)

    async def close(self) -> None:
        """Stop listening and end the open sessions."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername") or ("?", 0)
        session = _Session(client=f"sip2:{peer[0]}")
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._loop(session, reader, writer)
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
            pass  # the client went away
        except asyncio.CancelledError:
            pass  # the server is closing: end the session quietly
        except Exception:  # a fault of ours: end this session only, and say why in the log
            log.exception("SIP2 session %s ended by an error", session.client)
        finally:
            if task is not None:
                self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await writer.wait_closed()

    async def _loop(
        self, session: _Session, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        while True:
            try:
                raw = await asyncio.wait_for(
                    reader.readuntil(b"\r"), timeout=self.settings.sip2_idle_seconds
                )
            except (TimeoutError, asyncio.IncompleteReadError):
                return  # quiet too long, or closed mid-frame
            except asyncio.LimitOverrunError:
                await self._send(writer, build(RESEND, trailer=True), session)
                return  # a frame this long is not SIP: end the session
            data = raw.rstrip(b"\r").lstrip(b"\n")
            if not data.strip():
                continue
            text = data.decode(session.encoding, errors="replace")
            response = await self.answer(session, text)
            if response is None:
                return
            await self._send(writer, response, session)

    async def _send(self, writer: asyncio.StreamWriter, text: str, session: _Session) -> None:
        writer.write(text.encode(session.encoding, errors="replace") + b"\r")
        await writer.drain()

    async def answer(self, session: _Session, text: str) -> str | None:
        """The response to one frame, or None to close the session."""
        if checksum_ok(text, session.encoding) is False:
            return build(RESEND, trailer=True)
        try:
            message = parse(text)
        except FrameError as exc:
            if session.login is None and exc.command not in ("93", "99"):
                return None
            return build(RESEND, trailer=True)
        trailer = message.sequence is not None or message.checksum is not None
        if message.command == "97":
            return session.last if session.last is not None else build(RESEND, trailer=True)
        if message.command == "96":
            return session.last if session.last is not None else build(RESEND, trailer=True)
        key = (message.sequence, message.checksum)
        if trailer and session.last is not None and key == session.last_key:
            return session.last  # the same request again: answer it again, do it once
        with request_id_scope(f"sip-{uuid.uuid4().hex}"):  # on its audit events and log lines
            reply = await self._reply(session, message)
        if reply is None:
            return None
        response = build(
            reply.command,
            reply.fixed,
            reply.fields,
            sequence=message.sequence,
            trailer=trailer,
            encoding=session.encoding,
        )
        session.last, session.last_key = response, key
        session.served += 1
        return response

    async def _reply(self, session: _Session, message: Message) -> Reply | None:
        now = self.clock()
        if message.command == "93":
            return await self._login(session, message, now)
        if message.command == "99":
            if session.login is None and not self.settings.sip2_status_before_login:
                return None
            return self._status(session, now)
        if session.login is None:
            return None  # anything but 93 and 99 before a login ends the session
        handler = HANDLERS.get(message.command)
        if handler is None or not permitted(message.command):
            return None
        request = Request(
            message, session.login, self.settings, now, session.client, point=session.point
        )
        return await handler(request)

    async def _login(self, session: _Session, message: Message, now: datetime) -> Reply:
        name, password = message.get("CN") or "", message.get("CO") or ""
        try:
            login = await log_in_kiosk(name, password, now, self.settings, client=session.client)
        except TooManyAttempts:
            login = None
        if login is not None:
            session.login, session.encoding = login, login.encoding
            session.point = await point_by_code(login.service_point)
        return Reply("94", ["1" if login is not None else "0"], [])

    def _status(self, session: _Session, now: datetime) -> Reply:
        """99 -> 98: what the server can do (online, checkin and checkout allowed, the kiosk may
        apply its renewal policy, no offline mode), and the supported messages (BX)."""
        zone = ZoneInfo(session.login.timezone if session.login else self.settings.timezone)
        institution = session.login.branch_code if session.login else ""
        fixed = ["Y", "Y", "Y", "Y", "N", "N", "030", "003", sip_date(now, zone), "2.00"]
        fields = [
            ("AO", institution),
            ("AM", self.settings.library_name),
            ("BX", supported_messages()),
            ("AN", session.login.service_point if session.login else ""),
        ]
        return Reply("98", fixed, fields)
