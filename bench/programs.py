"""Benchmark the monthly program report on PostgreSQL (issue 13's target: under 2 s).

Seeds 20 programs at 20 partner sites with 100,000 loans over two years (each program's loans
at its site and at the main desk, a tenth of them still out, some late or lost), 20,000 patrons
in households, 400 training sessions with attendance. Then times, through the real service
code, the report of one month for every program (the coordinator's view: a row per program
and per service point), one program's month, a partner's suppressed month and the funder
inventory export of one program. Prints the figures; `--strict` exits 1 over the target.

    .venv/bin/python bench/programs.py [--loans 100000] [--programs 20] [--url postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
MONTH = "2026-11"
TARGET_S = 2.0
REPEATS = 5

SEED = [
    "INSERT INTO branch (code, name, timezone, created_at) "
    "VALUES ('MAIN', 'Main', 'America/Chicago', $1)",
    # One partner organisation and one partner site per program.
    "INSERT INTO partner (code, name, created_at) "
    "SELECT 'HA' || g, 'Housing authority ' || g, $1 FROM generate_series(1, $2::int) g",
    "INSERT INTO service_point (code, name, type, branch, address, hours, active, created_at) "
    "SELECT 'SITE' || g, 'Site ' || g, 'partner_site', 1, '', '{}', true, $1 "
    "FROM generate_series(1, $2::int) g",
    "INSERT INTO program (code, name, funder, starts_on, ends_on, kinds, training_hours, "
    "agreement_version, attestation_required, created_at) "
    "SELECT 'PG' || g, 'Program ' || g, 'Funder', '2025-01-01', NULL, '[\"hotspot\", \"laptop\"]', "
    "1, '2025-1', true, $1 FROM generate_series(1, $2::int) g",
    "INSERT INTO program_partner (program, partner) SELECT g, g FROM generate_series(1, $1::int) g",
    "INSERT INTO program_point (program, service_point) "
    "SELECT g, g FROM generate_series(1, $1::int) g",
    "INSERT INTO program_term (program, kind, loan_days, household_limit, quota) "
    "SELECT g, 'laptop', 180, 1, 50 FROM generate_series(1, $1::int) g",
]
PATRONS = (
    "INSERT INTO patron (card_number, name, language, household, branch, expires_on, blocked, "
    "created_at) SELECT 'P' || g, 'Patron ' || g, 'en', 'H' || (g / 2), 1, '2030-01-01', false, $1 "
    "FROM generate_series(1, $2::int) g"
)
# Hotspots are program stock (500 per program); laptops come under the quota.
DEVICES = (
    "INSERT INTO device (barcode, kind, model, serial_number, branch, status, "
    "replacement_cost_cents, notes, needs_label, created_at, updated_at, location, program) "
    "SELECT 'D' || g, CASE WHEN g % 5 = 0 THEN 'laptop' ELSE 'hotspot' END, 'Model', 'SN' || g, 1, "
    "'available', 12000, '', false, $1, $1, '', "
    "CASE WHEN g % 5 = 0 THEN NULL ELSE 1 + ((g / 5) % $3::int) END FROM generate_series(1, $2::int) g"
)
# Loan g: program 1 + g % programs, at its site (2 in 3) or the main desk; lent over the two
# years before NOW, 14-180 days; every 37th came back late; the newest tenth still out (one device
# each), every 101st of those lost.
LOANS = (
    "INSERT INTO loan (device, patron, branch, kind, household, checked_out_at, due_at, renewals, "
    "status, returned_at, checked_out_by, service_point, program) "
    "SELECT 1 + (g % $3::int), 1 + (g % $4::int), 1, "
    "CASE WHEN (1 + (g % $3::int)) % 5 = 0 THEN 'laptop' ELSE 'hotspot' END, "
    "'H' || ((1 + (g % $4::int)) / 2), out_at, out_at + make_interval(days => 14 + g % 166), "
    "g % 3, "
    "CASE WHEN g <= $2::int * 9 / 10 THEN 'returned' WHEN g % 101 = 0 THEN 'lost' ELSE 'active' END, "
    "CASE WHEN g > $2::int * 9 / 10 THEN NULL "
    "ELSE out_at + make_interval(days => 14 + g % 166 + CASE WHEN g % 37 = 0 THEN 9 ELSE -2 END) "
    "END, 'bench', CASE WHEN g % 3 = 0 THEN NULL ELSE 1 + (g % $5::int) END, 1 + (g % $5::int) "
    "FROM (SELECT g, $1::timestamptz - make_interval(days => 730) "
    "+ make_interval(secs => g * (730.0 * 86400 / $2::int)) AS out_at "
    "FROM generate_series(1, $2::int) g) s"
)
SESSIONS = (
    "INSERT INTO training_session (program, topic, starts_at, service_point, capacity, hours, "
    "created_at) SELECT 1 + (g % $2::int), 'Orientation', "
    "$1::timestamptz - make_interval(hours => g * 7), 1 + (g % $2::int), 20, 1.5, $1 "
    "FROM generate_series(1, $3::int) g"
)
ATTENDANCE = (
    "INSERT INTO attendance (session, patron, signed_up_at, attended_at) "
    "SELECT s.id, 1 + ((s.id * 20 + k) % $1::int), s.starts_at, "
    "CASE WHEN k % 4 = 0 THEN NULL ELSE s.starts_at END "
    "FROM training_session s, generate_series(1, 12) k"
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


async def seed(url: str, loans: int, programs: int) -> float:
    patrons, devices = max(1000, loans // 5), max(500, loans // 8)
    conn = await asyncpg.connect(url)
    started = time.perf_counter()
    try:
        async with conn.transaction():
            await conn.execute(SEED[0], NOW)
            for sql in SEED[1:4]:
                await conn.execute(sql, NOW, programs)
            for sql in SEED[4:]:
                await conn.execute(sql, programs)
            await conn.execute(PATRONS, NOW, patrons)
            await conn.execute(DEVICES, NOW, devices, programs)
            await conn.execute(LOANS, NOW, loans, devices, patrons, programs)
            await conn.execute(SESSIONS, NOW, programs, programs * 20)
            await conn.execute(ATTENDANCE, patrons)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return time.perf_counter() - started


async def timed(label: str, call) -> float:
    """The median of REPEATS runs (after one warm-up), printed with what the call returned."""
    result = await call()
    runs = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        result = await call()
        runs.append(time.perf_counter() - started)
    median = statistics.median(runs)
    rows = len(getattr(result, "rows", []) or [])
    print(f"  {label:<44} {median * 1000:8.1f} ms  (max {max(runs) * 1000:.1f} ms, {rows} rows)")
    return median


async def run_reports(url: str, programs: int) -> dict[str, float]:
    os.environ["LENDING_DATABASE_URL"] = url
    from lending.database import close_database, make_engine, open_database
    from lending.services.actors import Actor
    from lending.services.programs import reports

    engine = make_engine(url)
    await open_database(engine)
    coordinator = Actor("bench", "admin")
    partner = Actor("bench-partner", "partner", partner_id=1)
    tz = "America/Chicago"
    try:
        all_month = await reports.program_report(coordinator, MONTH, tz)
        first = next(r for r in all_month.rows if r.service_point is None)
        print(f"  {MONTH}, {first.program} as a whole: {first}")
        timings = {
            "all": await timed(
                f"{MONTH}, all {programs} programs and their points",
                lambda: reports.program_report(coordinator, MONTH, tz),
            ),
            "one": await timed(
                f"{MONTH}, program PG1",
                lambda: reports.program_report(coordinator, MONTH, tz, program="PG1"),
            ),
            "partner": await timed(
                f"{MONTH}, partner HA1's programs (suppressed)",
                lambda: reports.program_report(partner, MONTH, tz),
            ),
            "inventory": await timed(
                "funder inventory export, program PG1",
                lambda: reports.inventory_export(coordinator, "PG1", tz),
            ),
        }
    finally:
        await close_database(engine)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--programs", type=int, default=20)
    parser.add_argument(
        "--url", default=base_url(), help="a PostgreSQL database to create scratch databases from"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    db = f"bench_programs_{uuid.uuid4().hex[:6]}"
    asyncio.run(admin(f"CREATE DATABASE {db}", args.url))
    try:
        env = {**os.environ, "LENDING_DATABASE_URL": url_for(db, args.url)}
        subprocess.run(
            [str(Path(sys.executable).with_name("lending")), "migrate"],
            env=env,
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        print(f"Seeding {args.loans:,} loans in {args.programs} programs ...")
        seconds = asyncio.run(seed(url_for(db, args.url), args.loans, args.programs))
        print(f"  seeded in {seconds:.1f} s")
        print("Program reports (lending code, median of 5):")
        timings = asyncio.run(run_reports(url_for(db, args.url), args.programs))
        missed = [name for name, s in timings.items() if s >= TARGET_S]
        print(f"\nResult (target: each under {TARGET_S:.0f} s): "
              + ("met" if not missed else "missed by " + ", ".join(missed)))  # fmt: skip
    finally:
        asyncio.run(admin(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)", args.url))
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
