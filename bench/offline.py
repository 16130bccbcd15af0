"""Benchmark replaying an offline session on PostgreSQL (issue 14's target: 2,000
transactions under 10 s), and a kind's availability over a month with 1,000 reservations
(target: under 200 ms).

Creates a scratch database, migrates it and seeds a branch, its desk, a desk clerk, 1,000
hotspots and 1,000 patrons. Builds one session as a bookmobile desk would queue it over a
day: 1,000 checkouts and then 1,000 checkins of the same devices, with 5 % conflicts (a
device lent twice, a checkin of a device never lent) and listed out of time order, then
replays it through `lending.services.offline.replay` (every transaction through the same
checkout and checkin services as online, one database transaction each) and times it. A
second upload of the same session (which must change nothing) is timed too.

Availability: 200 laptops at the branch, 1,000 confirmed reservations of 1 to 5 of them spread
over the next 31 days (each with its units) and 50 laptops on loan; `availability` for the
month (the calendar view's call: steps, the fewest free per day, every reservation with its
units) is timed over several runs and the median reported.

    .venv/bin/python bench/offline.py [--transactions 2000] [--reservations 1000] [--url ...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 10.0
AVAILABILITY_TARGET_MS = 200.0

SEED = [
    "INSERT INTO branch (code, name, timezone, created_at) "
    "VALUES ('MAIN', 'Main', 'America/Chicago', $1)",
    "INSERT INTO service_point (code, name, type, branch, address, hours, active, created_at) "
    "VALUES ('MAIN', 'Main desk', 'branch', 1, '', '{}', true, $1)",
    "INSERT INTO staff_user (username, password_hash, role, active, created_at) "
    "VALUES ('clerk', 'not-a-login', 'desk', true, $1)",
]
PATRONS = (
    "INSERT INTO patron (card_number, name, language, branch, expires_on, blocked, created_at) "
    "SELECT 'P' || g, 'Patron ' || g, 'en', 1, '2030-01-01', false, $1 "
    "FROM generate_series(1, $2::int) g"
)
DEVICES = (
    "INSERT INTO device (barcode, kind, model, serial_number, branch, status, "
    "replacement_cost_cents, notes, needs_label, created_at, updated_at, location) "
    "SELECT 'D' || g, 'hotspot', 'Model', 'SN' || g, 1, 'available', 12000, '', false, $1, $1, '' "
    "FROM generate_series(1, $2::int) g"
)


def base_url() -> str:
    return os.environ.get("LENDING_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def url_for(name: str, base: str) -> str:
    return base.rpartition("/")[0] + "/" + name


async def admin(sql: str, base: str) -> None:
    conn = await asyncpg.connect(base)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def seed(url: str, n: int, now: datetime) -> None:
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            for sql in SEED:
                await conn.execute(sql, now)
            await conn.execute(PATRONS, now, n)
            await conn.execute(DEVICES, now, n)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def session(n_devices: int, now: datetime, point: str | None) -> dict:
    """n checkouts over the morning, then n checkins over the afternoon; 5 % conflicts."""
    start = now - timedelta(hours=10)
    rng = random.Random(14)
    items = []
    for i in range(1, n_devices + 1):
        at = start + timedelta(seconds=i * 15)
        items.append({"type": "checkout", "device": f"D{i}", "patron": f"P{i}", "at": at})
    for i in range(1, n_devices + 1):
        at = start + timedelta(hours=5, seconds=i * 15)
        device = f"D{i}"
        if i % 20 == 0:  # a device lent twice: the later checkout is an exception
            items[i - 2]["device"] = f"D{i}"
        if i % 20 == 10:  # a checkin of a device nobody borrowed
            device = f"NEVER{i}"
        items.append({"type": "checkin", "device": device, "at": at})
    rng.shuffle(items)  # the queue's order is not the order things happened
    return {
        "id": f"bench-{uuid.uuid4().hex[:8]}",
        "service_point": point,
        "transactions": [
            {**t, "id": f"t{k}", "clerk": "clerk", "at": t["at"].isoformat()}
            for k, t in enumerate(items)
        ],
    }


async def replay(url: str, body: dict, now: datetime) -> list[tuple[str, float, object]]:
    os.environ["LENDING_DATABASE_URL"] = url
    import msgspec

    from lending.database import close_database, make_engine, open_database
    from lending.schemas.offline import OfflineSessionIn
    from lending.services.actors import Actor
    from lending.services.offline.replay import replay_session

    data = msgspec.json.decode(msgspec.json.encode(body), type=OfflineSessionIn)
    engine = make_engine(url)
    await open_database(engine)
    runs = []
    try:
        for label in ("first upload", "same session again"):
            started = time.perf_counter()
            result = await replay_session(Actor("bench", "admin"), now, data, "America/Chicago")
            runs.append((label, time.perf_counter() - started, result))
    finally:
        await close_database(engine)
    return runs


LAPTOPS = (
    "INSERT INTO device (barcode, kind, model, serial_number, branch, status, "
    "replacement_cost_cents, notes, needs_label, created_at, updated_at, location) "
    "SELECT 'L' || g, 'laptop', 'Chromebook', 'LSN' || g, 1, "
    "CASE WHEN g <= 50 THEN 'on_loan' ELSE 'available' END, 30000, '', false, $1, $1, '' "
    "FROM generate_series(1, $2::int) g"
)
LAPTOP_LOANS = (
    "INSERT INTO loan (device, patron, branch, kind, checked_out_at, due_at, renewals, status, "
    "checked_out_by) SELECT d.id, p.id, 1, 'laptop', $1::timestamptz, "
    "$1::timestamptz + (d.id % 20) * interval '1 day', "
    "0, 'active', 'bench' FROM device d JOIN patron p ON p.card_number = 'P' || (d.id % 500 + 1) "
    "WHERE d.kind = 'laptop' AND d.status = 'on_loan'"
)
RESERVATIONS = """
INSERT INTO reservation (service_point, branch, kind, quantity, starts_at, ends_at, free_at,
    set_aside_at, no_show_at, event, responsible, status, made_by, notes, short, created_at,
    close_reason)
SELECT 1, 1, 'laptop', 1 + g % 5, s, s + interval '2 hours', s + interval '3 hours',
    s - interval '24 hours', s + interval '30 minutes', 'Class ' || g, 'Teacher', 'confirmed',
    'bench', '', 0, $1::timestamptz, ''
FROM (SELECT g, $1::timestamptz + interval '1 day'
        + (g * 2677 % (30 * 24 * 60)) * interval '1 minute' AS s
      FROM generate_series(1, $2::int) g) x
"""
UNITS = (
    "INSERT INTO reservation_unit (reservation, named, status, note) "
    "SELECT r.id, false, 'booked', '' FROM reservation r, generate_series(1, r.quantity)"
)


async def seed_reservations(url: str, laptops: int, reservations: int, now: datetime) -> None:
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            await conn.execute(LAPTOPS, now, laptops)
            await conn.execute(LAPTOP_LOANS, now)
            await conn.execute(RESERVATIONS, now, reservations)
            await conn.execute(UNITS)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def time_availability(url: str, now: datetime, runs: int = 7) -> tuple[list[float], object]:
    from lending.database import close_database, make_engine, open_database
    from lending.services.actors import Actor
    from lending.services.reservations.booking import availability

    engine = make_engine(url)
    await open_database(engine)
    times, result = [], None
    try:
        for _ in range(runs):
            started = time.perf_counter()
            result = await availability(
                Actor("bench", "admin"),
                kind="laptop",
                first_day=now.date(),
                days=31,
                service_point="MAIN",
                now=now,
            )
            times.append((time.perf_counter() - started) * 1000)
    finally:
        await close_database(engine)
    return times, result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--transactions", type=int, default=2000)
    parser.add_argument("--url", default=base_url())
    parser.add_argument("--reservations", type=int, default=1000)
    parser.add_argument("--no-point", action="store_true", help="a session without a service point")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args()
    now = datetime.now(UTC).replace(microsecond=0)
    n = args.transactions // 2
    db = f"bench_offline_{uuid.uuid4().hex[:6]}"
    asyncio.run(admin(f"CREATE DATABASE {db}", args.url))
    try:
        env = {**os.environ, "LENDING_DATABASE_URL": url_for(db, args.url)}
        subprocess.run(
            [str(Path(sys.executable).with_name("lending")), "migrate"],
            env=env, check=True, capture_output=True, cwd=ROOT,
        )  # fmt: skip
        asyncio.run(seed(url_for(db, args.url), n, now))
        body = session(n, now, None if args.no_point else "MAIN")
        print(f"Replaying an offline session of {len(body['transactions']):,} transactions ...")
        runs = asyncio.run(replay(url_for(db, args.url), body, now))
        for label, seconds, result in runs:
            print(f"  {label:<20} {seconds:7.2f} s  {result.applied} applied, "
                  f"{result.exceptions} exceptions, already uploaded: {result.already_uploaded}")  # fmt: skip
        first = runs[0][1]
        rate = len(body["transactions"]) / first
        print(f"  {rate:,.0f} transactions/s")
        print(
            f"\nResult (target: under {TARGET_S:.0f} s): {'met' if first < TARGET_S else 'missed'}"
        )
        asyncio.run(seed_reservations(url_for(db, args.url), 200, args.reservations, now))
        print(f"\nAvailability of laptops over 31 days with {args.reservations:,} reservations ...")
        times, result = asyncio.run(time_availability(url_for(db, args.url), now))
        median = sorted(times)[len(times) // 2]
        print(f"  runs (ms): {', '.join(f'{t:.0f}' for t in times)}")
        print(f"  median {median:.0f} ms: pool {result.pool}, {len(result.steps):,} steps, "
              f"{len(result.reservations):,} reservations, {len(result.days)} days")  # fmt: skip
        met = median < AVAILABILITY_TARGET_MS
        print(
            f"\nResult (target: under {AVAILABILITY_TARGET_MS:.0f} ms): {'met' if met else 'missed'}"
        )
    finally:
        asyncio.run(admin(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)", args.url))
    return 1 if args.strict and (first >= TARGET_S or not met) else 0


if __name__ == "__main__":
    sys.exit(main())
