"""A bare Litestar app for bench/stack_floor.py: the hot path's own statements
(lending/services/circulation/hot_sql.py) for checkout and checkin through an asyncpg pool,
and nothing else of lending around them: no middleware, guards, dependencies, strict body
checks, rules, typed replies or Piccolo. Not a server anyone should run: it trusts its
input and decides nothing (every checkout is due in 14 days).

    BARE_DATABASE_URL=postgresql://... uvicorn bare_app:app --app-dir bench --workers 2
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import asyncpg
import msgspec
from litestar import Litestar, Request, get, post

from lending.services.access.tokens import digest_of
from lending.services.circulation.hot_sql import (
    CHECKIN_FACTS,
    CHECKIN_WRITE,
    CHECKOUT_FACTS,
    CHECKOUT_WRITE,
)

_pool: asyncpg.Pool | None = None


class Scan(msgspec.Struct):
    device: str
    patron: str | None = None


async def _start() -> None:
    global _pool
    _pool = await asyncpg.create_pool(os.environ["BARE_DATABASE_URL"], min_size=2, max_size=20)


async def _stop() -> None:
    if _pool is not None:
        await _pool.close()


def _digest(request: Request) -> str:
    return digest_of(request.headers.get("authorization", "").partition(" ")[2])


@get("/api/health")
async def health() -> dict:
    return {"status": "ok"}


async def lend(c: asyncpg.Connection, device: str, card: str, digest: str) -> int:
    """Checkout as the hot path runs it: one transaction, the facts query and the write."""
    now = datetime.now(UTC)
    due = now + timedelta(days=14)
    async with c.transaction():
        f = await c.fetchrow(
            CHECKOUT_FACTS, card, device, (now - timedelta(days=2)).date(), digest, now
        )
        return await c.fetchval(
            CHECKOUT_WRITE, f["device_id"], f["patron_id"], f["branch_id"], f["kind"],
            f["household"], now, due, "bench-desk", device, due.isoformat(), card,
            f["own_loans"], None, f["held_for"], None, None, "bare",
        )  # fmt: skip


async def take_back(c: asyncpg.Connection, device: str, digest: str) -> int:
    """Checkin as the hot path runs it: one transaction, the facts query and the write."""
    now = datetime.now(UTC)
    async with c.transaction():
        f = await c.fetchrow(CHECKIN_FACTS, device, digest, now)
        return await c.fetchval(
            CHECKIN_WRITE, f["loan_id"], now, f["id"], "bench-desk", device,
            f["loan_status"], f["patron_card"], "available", "bare",
        )  # fmt: skip


@post("/api/checkout", status_code=201)
async def checkout(request: Request, data: Scan) -> dict:
    async with _pool.acquire() as c:
        loan = await lend(c, data.device, data.patron, _digest(request))
    return {"loan": {"id": loan, "device": data.device}}


@post("/api/checkin", status_code=200)
async def checkin(request: Request, data: Scan) -> dict:
    async with _pool.acquire() as c:
        loan = await take_back(c, data.device, _digest(request))
    return {"loan": {"id": loan, "device": data.device}}


# No logging_config: importing this module (bench/stack_floor.py does) leaves logging alone.
app = Litestar(
    [health, checkout, checkin], on_startup=[_start], on_shutdown=[_stop], logging_config=None
)
