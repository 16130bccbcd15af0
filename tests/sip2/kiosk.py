"""A raw-socket SIP2 terminal of our own, for driving the server in tests: it frames requests
itself (AY/AZ trailer or none, CR or CR LF) and reads one response per request."""

from __future__ import annotations

import asyncio
from typing import Any

from lending.sip2.codec import Message, checksum, checksum_ok, parse

__all__ = ["Kiosk", "TODAY", "start_sip_server"]

TODAY = "20261201    100000"  # a SIP date: local time


class Kiosk:
    def __init__(self, port: int, encoding: str = "cp850") -> None:
        self.port = port
        self.encoding = encoding
        self.seq = 0
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.last_frame = ""

    async def __aenter__(self) -> Kiosk:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        assert self.writer is not None
        self.writer.close()

    def frame(self, text: str, *, trailer: bool = True, seq: int | None = None) -> str:
        if not trailer:
            return text
        if seq is None:
            seq, self.seq = self.seq, (self.seq + 1) % 10
        text = f"{text}AY{seq}AZ"
        return text + checksum(text, self.encoding)

    async def send_raw(self, data: bytes) -> None:
        assert self.writer is not None
        self.writer.write(data)
        await self.writer.drain()

    async def read(self, timeout: float = 10) -> str | None:
        """One response (without its CR), or None when the server closed the session."""
        assert self.reader is not None
        try:
            raw = await asyncio.wait_for(self.reader.readuntil(b"\r"), timeout)
        except (asyncio.IncompleteReadError, ConnectionResetError):
            return None
        return raw[:-1].decode(self.encoding)

    async def ask(self, text: str, *, trailer: bool = True, end: str = "\r") -> Message:
        self.last_frame = self.frame(text, trailer=trailer)
        await self.send_raw((self.last_frame + end).encode(self.encoding))
        response = await self.read()
        assert response is not None, f"the server closed the session after {text!r}"
        if trailer:
            assert checksum_ok(response, self.encoding), response
        return parse(response)

    async def login(self, name: str = "kiosk1", password: str = "kiosk-pass-1") -> Message:
        return await self.ask(f"9300CN{name}|CO{password}|CPMAIN|")


async def start_sip_server(settings: Any, clock: Any, **overrides: Any):
    from dataclasses import replace

    from lending.sip2.server import Sip2Server

    server = Sip2Server(replace(settings, **overrides), clock)
    await server.start("127.0.0.1", 0)
    return server
