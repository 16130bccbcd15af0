"""Benchmark bulk import and the utilization report on PostgreSQL.

1. Imports a CSV of 50,000 devices through the real import code (all checks, one transaction),
   then re-imports the same file (all unchanged) and a dry run.
2. Seeds 100,000 loans over the past year on 10,000 devices with SQL, then computes the
   utilization report over that year through the real report code.

Prints the time of each step and the peak memory of this process.
Targets (issue 6): each step under 20 s, peak memory under 400 MB.

    .venv/bin/python bench/inventory.py [--devices 50000] [--loans 100000] [--url postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)

SEED_LOAN_DEVICES = """
INSERT INTO device (barcode, kind, model, serial_number, imei, branch, status, replacement_cost_cents,
                    notes, needs_label, created_at, updated_at)
SELECT 'U' || g, CASE WHEN g % 3 = 0 THEN 'laptop' ELSE 'hotspot' END, 'Model', 'SN' || g, NULL,
       1 + (g % 2), 'available', 12000, '', false, $1::timestamptz - interval '400 days', $1
FROM generate_series(1, $2::int) g"""
SEED_PATRONS = """
INSERT INTO patron (card_number, name, language, blocked, created_at)
SELECT 'P' || g, 'Patron ' || g, 'en', false, $1 FROM generate_series(1, $2::int) g"""
# Each device gets loans/devices back-to-back loans of 3 days spaced over the year.
SEED_LOANS = """
INSERT INTO loan (device, patron, branch, kind, household, checked_out_at, due_at, renewals, status,
                  returned_at, checked_out_by)
SELECT d.id, 1 + (g % $3::int), d.branch, d.kind, NULL,
       $1::timestamptz - make_interval(days => 365) + make_interval(days => (g / $2::int) * 3, hours => g % 24),
       $1::timestamptz - make_interval(days => 365) + make_interval(days => (g / $2::int) * 3 + 2),
       0, 'returned',
       $1::timestamptz - make_interval(days => 365) + make_interval(days => (g / $2::int) * 3 + 2, hours => g % 24),
       'bench'
FROM generate_series(0, $4::int - 1) g
JOIN device d ON d.barcode = 'U' || (1 + g % $2::int)"""


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


def devices_csv(n: int) -> bytes:
    lines = ["barcode,kind,model,serial_number,branch,replacement_cost,notes"]
    for i in range(1, n + 1):
        kind = "laptop" if i % 3 == 0 else "hotspot"
        branch = "MAIN" if i % 2 else "EAST"
        lines.append(f"3{i:013d},{kind},Model {i % 7},SN{i:08d},{branch},129.99,batch 2026-12")
    return ("\n".join(lines) + "\n").encode()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run(url: str, n_devices: int, n_loans: int) -> dict[str, float]:
    os.environ["LENDING_DATABASE_URL"] = url
    from lending.database import close_database, make_engine, open_database
    from lending.services.actors import Actor
    from lending.services.data.imports import import_csv
    from lending.services.reports.figures import report, report_range

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "INSERT INTO branch (code, name, timezone, created_at) VALUES "
            "('MAIN', 'Main', 'America/Chicago', $1), ('EAST', 'East', 'America/Chicago', $1)",
            NOW,
        )
    finally:
        await conn.close()
    engine = make_engine(url)
    await open_database(engine)
    actor = Actor("bench", "system")
    timings: dict[str, float] = {}
    try:
        data = devices_csv(n_devices)
        print(f"  CSV: {len(data) / 1e6:.1f} MB, {n_devices:,} devices")
        for label, dry in (("import", False), ("re-import (unchanged)", False), ("dry run", True)):
            started = time.perf_counter()
            result = await import_csv(actor, NOW, "devices", data, dry_run=dry)
            timings[label] = time.perf_counter() - started
            counts = {k: result[k] for k in ("created", "updated", "unchanged")}
            print(f"  {label:<22} {timings[label]:6.2f} s  {counts}  peak {peak_mb():.0f} MB")

        conn = await asyncpg.connect(url)
        try:
            started = time.perf_counter()
            await conn.execute(SEED_LOAN_DEVICES, NOW, 10_000)
            await conn.execute(SEED_PATRONS, NOW, 20_000)
            await conn.execute(SEED_LOANS, NOW, 10_000, 20_000, n_loans)
            await conn.execute("ANALYZE")
            loans = await conn.fetchval("SELECT count(*) FROM loan")
            print(f"  seeded {loans:,} loans in {time.perf_counter() - started:.1f} s")
        finally:
            await conn.close()
        where = await report_range(NOW, "America/Chicago", date(2025, 12, 1), date(2026, 11, 30))
        started = time.perf_counter()
        body = await report("utilization", where, NOW)
        timings["utilization (1 year)"] = time.perf_counter() - started
        total = body["total"]
        print(
            f"  {'utilization (1 year)':<22} {timings['utilization (1 year)']:6.2f} s  "
            f"{total['devices']:,} devices, {total['loans']:,} loans, "
            f"utilization {total['utilization']:.3f}  peak {peak_mb():.0f} MB"
        )
    finally:
        await close_database(engine)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=50_000)
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--url", default=base_url(), help="a PostgreSQL database to start from")
    parser.add_argument(
        "--no-audit", action="store_true", help="skip the audit close (bench/inventory_audit.py)"
    )
    args = parser.parse_args()
    name = f"bench_inventory_{uuid.uuid4().hex[:6]}"
    asyncio.run(admin(f"CREATE DATABASE {name}", args.url))
    try:
        env = {**os.environ, "LENDING_DATABASE_URL": url_for(name, args.url)}
        env.pop("PICCOLO_CONF", None)
        subprocess.run(
            [str(Path(sys.executable).with_name("lending")), "migrate"],
            env=env,
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        print(
            f"Inventory bench on PostgreSQL ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})"
        )
        timings = asyncio.run(run(url_for(name, args.url), args.devices, args.loans))
        print("\nResult (target: each under 20 s; peak memory under 400 MB)")
        for label, seconds in timings.items():
            print(f"  {label:<22} {seconds:6.2f} s  {'ok' if seconds < 20 else 'MISSED'}")
        peak = peak_mb()
        print(f"  peak memory {peak:.0f} MB  {'ok' if peak < 400 else 'MISSED'}")
    finally:
        asyncio.run(admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", args.url))
    if not args.no_audit:
        # The third figure of issue 6 (close an audit of 50,000 devices with 49,000 scans), in a
        # process of its own so that its peak memory is its own.
        print("\nAudit close (bench/inventory_audit.py):", flush=True)
        audit = ROOT / "bench" / "inventory_audit.py"
        return subprocess.run([sys.executable, str(audit), "--url", args.url]).returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
