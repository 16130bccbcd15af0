"""Who a login comes from, and how often: the client address behind trusted proxies, and the
per-process gate in front of every login: a request limit per client, then a few login slots.
(Failed logins are counted in the database, in auth, across processes.)"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager

from ...circulation import TooManyAttempts

__all__ = ["LoginGate", "RequestRate", "client_address"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(address: str, proxies: Iterable[Network]) -> bool:
    ip = _address(address)
    return ip is not None and any(ip in network for network in proxies)


def client_address(peer: str | None, forwarded_for: str | None, proxies: Iterable[str]) -> str:
    """The socket peer, unless it is one of the trusted `proxies` (CIDRs): then the nearest
    address in X-Forwarded-For that is not itself a trusted proxy (read right to left, as each
    proxy appends the address it received the request from). A header from anyone else is
    ignored, so a client cannot choose its own address."""
    networks = [ipaddress.ip_network(p, strict=False) for p in proxies]
    address = peer or ""
    if not networks or not forwarded_for or not _trusted(address, networks):
        return address[:64]
    for hop in reversed(forwarded_for.split(",")):
        hop = hop.strip()
        if not hop:
            continue
        if _address(hop) is None:  # not an address: stop trusting the chain here
            return address[:64]
        address = hop
        if not _trusted(hop, networks):
            break
    return address[:64]


class RequestRate:
    """At most `per_minute` requests per client in any 60 seconds, in this process (each server
    process counts its own: a quick brake on floods; the database counts failures across all)."""

    WINDOW_S = 60.0
    MAX_CLIENTS = 10_000  # forget idle clients beyond this many

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}

    def hit(self, client: str) -> None:
        """Count one request from `client`; TooManyAttempts (with retry_after) when over."""
        now = self.clock()
        hits = self._hits.get(client)
        if hits is None:
            if len(self._hits) >= self.MAX_CLIENTS:
                self._forget_idle(now)
            hits = self._hits[client] = deque()
        while hits and hits[0] <= now - self.WINDOW_S:
            hits.popleft()
        if len(hits) >= self.per_minute:
            wait = max(1, math.ceil(hits[0] + self.WINDOW_S - now))
            raise TooManyAttempts(
                "Too many login requests from your address; try again in a minute.",
                retry_after=wait,
            )
        hits.append(now)

    def _forget_idle(self, now: float) -> None:
        for client in [c for c, h in self._hits.items() if not h or h[-1] <= now - self.WINDOW_S]:
            del self._hits[client]


class LoginGate:
    """In front of every login in this server process: the request rate per client, then one
    of `slots` places (LENDING_HASH_WORKERS x 2). A flood of logins then waits its turn before
    touching the database or the hashing pool, instead of all doing their first queries at
    once and holding up every other request for the first second of the flood."""

    def __init__(self, per_minute: int, slots: int, clock: Callable[[], float] = time.monotonic):
        self.rate = RequestRate(per_minute, clock)
        self.slots = slots
        self._semaphore: asyncio.Semaphore | None = None

    @asynccontextmanager
    async def admit(self, client: str) -> AsyncIterator[None]:
        self.rate.hit(client)
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.slots)
        async with self._semaphore:
            yield
