"""Two SIP2 ILSs for the client's tests, both on 127.0.0.1 with a port of their own:

- `FakeIls`: a small, lenient asyncio server that answers 93 and 63 the way real ILSs do, with
  switches for their variants: CR LF, no checksum, fields out of order (and unknown ones),
  blank dates, no CQ, damaged checksums, a slow answer. It counts connections and keeps the
  frames it received.
- `Pysip2Ils`: PyPI pysip2's strict server (its own codec, checksum and sequence checks) in a
  thread with its own event loop, for the happy path.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pysip2

from lending.sip2.codec import Message, build, parse

ACCOUNT, PASSWORD = "lending", "s3cr@t/pw"  # the password needs percent-encoding in a URL
INSTITUTION = "CPL"


@dataclass
class IlsPatron:
    card: str
    pin: str = "1234"
    name: str = "Ada Lovelace"
    email: str = ""
    phone: str = ""
    status: str = " " * 14  # the 14 patron status flags
    fee: str = ""  # BV
    expires: str | None = None  # PA, as the ILS writes it
    home: str = ""  # AQ
    language: str = "001"


def source_url(port: int, **options: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"institution": INSTITUTION, **options}.items())
    return f"sip2://{ACCOUNT}:{quote(PASSWORD, safe='')}@127.0.0.1:{port}?{query}"


@dataclass
class FakeIls:
    patrons: dict[str, IlsPatron] = field(default_factory=dict)
    terminator: str = "\r"  # "\r\n" as some ILSs end frames
    checksum: bool = True  # answer with AY/AZ when the request had them
    out_of_order: bool = False  # fields reversed, unknown ones first
    blank_dates: bool = False  # 18 spaces for the transaction date
    send_cq: bool = True  # CQ in a 64 when the request had AD
    damaged: int = 0  # this many answers go out with a wrong checksum first
    delay: float = 0.0  # seconds before each answer
    connections: int = 0
    received: list[str] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    def add(self, card: str, **facts: Any) -> IlsPatron:
        self.patrons[card] = patron = IlsPatron(card, **facts)
        return patron

    async def start(self, tls: ssl.SSLContext | None = None) -> FakeIls:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=tls)
        return self

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.sockets[0].getsockname()[1]

    def url(self, **options: str) -> str:
        return source_url(self.port, **options)

    def commands(self) -> list[str]:
        return [frame[:2] for frame in self.received]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        last = ""
        try:
            while True:
                try:
                    raw = await reader.readuntil(b"\r")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                frame = raw.decode("cp850").strip("\r\n")
                self.received.append(frame)
                message = parse(frame)
                if message.command == "97":
                    answer = last
                else:
                    answer = last = self._answer(message)
                if self.delay:
                    await asyncio.sleep(self.delay)
                if self.damaged > 0 and "AZ" in answer:
                    self.damaged -= 1
                    answer = answer[:-4] + ("0000" if answer[-4:] != "0000" else "1111")
                writer.write((answer + self.terminator).encode("cp850"))
                await writer.drain()
        finally:
            self._writers.discard(writer)
            writer.close()

    def _frame(self, request: Message, command: str, fixed: list[str], fields: list) -> str:
        if self.out_of_order:
            fields = [("ZZ", "an unknown field"), ("XI", "42"), *reversed(fields)]
        with_trailer = self.checksum and request.sequence is not None
        return build(command, fixed, fields, sequence=request.sequence, trailer=with_trailer)

    def _answer(self, request: Message) -> str:
        if request.command == "93":
            ok = (request.get("CN"), request.get("CO")) == (ACCOUNT, PASSWORD)
            return self._frame(request, "94", ["1" if ok else "0"], [])
        assert request.command == "63", request.command
        card, pin = request.get("AA") or "", request.get("AD")
        patron = self.patrons.get(card)
        date = " " * 18 if self.blank_dates else "20261201    100000"
        counts = "0000" * 6
        if patron is None:
            fields = [("AO", INSTITUTION), ("AA", card), ("AE", ""), ("BL", "N")]
            return self._frame(request, "64", [" " * 14, "000", date, counts], fields)
        fields = [("AO", INSTITUTION), ("AA", card), ("AE", patron.name), ("BL", "Y")]
        if pin is not None and self.send_cq:
            fields.append(("CQ", "Y" if pin == patron.pin else "N"))
        fields += [
            ("BV", patron.fee or None),
            ("BE", patron.email or None),
            ("BF", patron.phone or None),
            ("AQ", patron.home or None),
            ("PA", patron.expires),
        ]
        return self._frame(request, "64", [patron.status, patron.language, date, counts], fields)


class _RecordingServer(pysip2.SIP2Server):
    """pysip2's server, noting each request it accepted (its checksum already verified by
    pysip2's own codec) with its sequence number."""

    def __init__(self, seen: list[tuple[str, int | None, str | None]], **kw: Any) -> None:
        super().__init__(**kw)
        self.seen = seen

    async def _dispatch(self, stream, state, decoded) -> None:  # type: ignore[override]
        name = type(decoded.message).__name__
        self.seen.append((name, decoded.sequence_number, decoded.checksum))
        await super()._dispatch(stream, state, decoded)


class Pysip2Ils:
    """pysip2's SIP2Server (login required) serving `patrons`, in a thread of its own."""

    def __init__(self, patrons: dict[str, IlsPatron]) -> None:
        self.patrons = patrons
        self.seen: list[tuple[str, int | None, str | None]] = []
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def url(self, **options: str) -> str:
        return source_url(self.port, **options)

    def start(self) -> Pysip2Ils:
        self._thread.start()
        assert self._ready.wait(10), "pysip2 did not start"
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        server = _RecordingServer(self.seen, login_required=True, institution_id=INSTITUTION)
        patrons = self.patrons

        @server.route(pysip2.LOGIN)
        async def login(req: pysip2.LoginRequest, ctx: Any) -> pysip2.LoginResponse:
            ok = (req.login_user_id, req.login_password) == (ACCOUNT, PASSWORD)
            return pysip2.LoginResponse(ok="1" if ok else "0")

        @server.route(pysip2.PATRON_INFORMATION)
        async def info(
            req: pysip2.PatronInformationRequest, ctx: Any
        ) -> pysip2.PatronInformationResponse:
            patron = patrons.get(req.patron_identifier)
            counts = {
                f"{name}_count": "0000"
                for name in ("hold_items", "overdue_items", "charged_items", "fine_items")
            }
            counts |= {"recall_items_count": "0000", "unavailable_holds_count": "0000"}
            common = {
                "language": "001",
                "transaction_date": ctx.now_18(),
                "institution_id": req.institution_id,
                "patron_identifier": req.patron_identifier,
                **counts,
            }
            if patron is None:
                return pysip2.PatronInformationResponse(
                    patron_status=" " * 14, personal_name="", valid_patron="N", **common
                )
            checked = None
            if req.patron_password is not None:
                checked = "Y" if req.patron_password == patron.pin else "N"
            return pysip2.PatronInformationResponse(
                patron_status=patron.status,
                personal_name=patron.name,
                valid_patron="Y",
                valid_patron_password=checked,
                fee_amount=patron.fee or None,
                email_address=patron.email or None,
                home_phone_number=patron.phone or None,
                **common,
            )

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with server.start(port=0) as port:
            self.port = port
            self._ready.set()
            await self._stop.wait()


def self_signed_tls(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1, and the
    certificate's file (a client that trusts it can verify the server)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake ILS")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "ils.pem", folder / "ils.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context, cert_file
