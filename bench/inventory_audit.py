"""Benchmark closing a shelf audit on PostgreSQL: 50,000 devices, 49,000 scans.

Seeds a scratch database with set-based SQL (50,000 devices at MAIN, 300 of them on loan; 200
devices at EAST), starts an audit of MAIN through the service, inserts 49,000 scans in bulk
(48,500 MAIN devices, 200 EAST devices, 100 unknown barcodes, 200 repeats), then times
`close_audit(..., mark_missing_lost=True)` through the real service code. It also times a few
hundred single scans through the service (one small transaction each). Prints the figures.

    .venv/bin/python bench/inventory_audit.py [--devices 50000] [--scans 49000] [--url postgresql://...]
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
TARGET_SECONDS, TARGET_MB = 20.0, 400.0

SEED = [
    "INSERT INTO branch (code, name, timezone, created_at) VALUES "
    "('MAIN', 'Main', 'America/Chicago', $1), ('EAST', 'East', 'America/New_York', $1)",
    "INSERT INTO patron (card_number, name, language, blocked, created_at) "
    "VALUES ('P1', 'Patron', 'en', false, $1)",
    # MAIN: D1..Dn; the first `on_loan` are out on loan.
    """INSERT INTO device (barcode, kind, model, serial_number, branch, status,
                          replacement_cost_cents, notes, needs_label, created_at, updated_at,
                          location)
       SELECT 'D' || g, CASE WHEN g % 3 = 0 THEN 'laptop' ELSE 'hotspot' END, 'Model', 'SN' || g,
              1, CASE WHEN g <= $2::int THEN 'on_loan' ELSE 'available' END, 12000, '', false,
              $1, $1, ''
       FROM generate_series(1, $3::int) g""",
    """INSERT INTO device (barcode, kind, model, serial_number, branch, status,
                          replacement_cost_cents, notes, needs_label, created_at, updated_at,
                          location)
       SELECT 'E' || g, 'hotspot', 'Model', 'SNE' || g, 2, 'available', 12000, '', false, $1, $1, ''
       FROM generate_series(1, $2::int) g""",
    """INSERT INTO loan (device, patron, branch, kind, checked_out_at, due_at, renewals, status,
                        returned_at, checked_out_by)
       SELECT d.id, 1, 1, d.kind, $1, $1::timestamptz + interval '14 days', 0, 'active', NULL, 'bench'
       FROM device d WHERE d.branch = 1 AND d.status = 'on_loan'""",
]

# The scans, as the scan service would have recorded them, one row per scan.
SCANS = """
INSERT INTO audit_item (audit, barcode, device, result, scanned_at, scanned_by)
SELECT $1, d.barcode, d.id,
       CASE WHEN d.status = 'on_loan' THEN 'on_loan'
            WHEN d.branch <> 1 THEN 'other_branch' ELSE 'found' END,
       $2::timestamptz + make_interval(secs => row_number() OVER (ORDER BY d.id)), 'bench'
FROM device d
WHERE (d.branch = 1 AND substr(d.barcode, 2)::int <= $3::int) OR d.branch = 2;
INSERT INTO audit_item (audit, barcode, device, result, scanned_at, scanned_by)
SELECT $1, 'U' || g, NULL, 'unknown', $2, 'bench' FROM generate_series(1, $3::int) g;
INSERT INTO audit_item (audit, barcode, device, result, scanned_at, scanned_by)
SELECT $1, d.barcode, d.id, 'duplicate', $2, 'bench'
FROM device d WHERE d.branch = 1 AND substr(d.barcode, 2)::int <= $3::int
"""


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def admin(sql: str, base: str) -> None:
    conn = await asyncpg.connect(base)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def seed_devices(url: str, devices: int, on_loan: int, east: int) -> None:
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            await conn.execute(SEED[0], NOW)
            await conn.execute(SEED[1], NOW)
            await conn.execute(SEED[2], NOW, on_loan, devices)
            await conn.execute(SEED[3], NOW, east)
            await conn.execute(SEED[4], NOW)
    finally:
        await conn.close()


async def seed_scans(url: str, audit_id: int, main_scans: int, unknown: int, dupes: int) -> int:
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            for sql, args in zip(
                SCANS.split(";\n"),
                [(audit_id, NOW, main_scans), (audit_id, NOW, unknown), (audit_id, NOW, dupes)],
                strict=True,
            ):
                await conn.execute(sql, *args)
        await conn.execute("ANALYZE")
        return await conn.fetchval("SELECT count(*) FROM audit_item WHERE audit = $1", audit_id)
    finally:
        await conn.close()


async def run(url: str, args: argparse.Namespace) -> dict[str, float]:
    os.environ["LENDING_DATABASE_URL"] = url
    from lending.database import close_database, make_engine, open_database
    from lending.services.actors import Actor
    from lending.services.inventory import shelf_audits as audits

    east = 200
    dupes = 200
    unknown = 100
    main_scans = args.scans - east - dupes - unknown
    started = time.perf_counter()
    await seed_devices(url, args.devices, args.on_loan, east)
    engine = make_engine(url)
    await open_database(engine)
    figures: dict[str, float] = {}
    try:
        actor = Actor("bench", "admin")
        audit = await audits.start_audit(actor, NOW, branch_code="MAIN", location=None)
        scans = await seed_scans(url, audit.id, main_scans, unknown, dupes)
        print(
            f"  seeded {args.devices:,} + {east} devices and {scans:,} scans in "
            f"{time.perf_counter() - started:.1f} s"
        )
        before = peak_mb()
        t0 = time.perf_counter()
        closed = await audits.close_audit(
            actor,
            NOW + timedelta(hours=2),
            audit.id,
            mark_missing_lost=True,
            reason="bench: not on the shelf",
        )
        figures["close_s"] = time.perf_counter() - t0
        figures["peak_mb"] = peak_mb()
        figures["peak_before_close_mb"] = before
        print(f"  close_audit: {figures['close_s']:.2f} s, counts {closed.counts}")

        # Single scans through the service: one small transaction each.
        other = await audits.start_audit(actor, NOW, branch_code="EAST", location=None)
        latencies = []
        for i in range(args.single_scans):
            t = time.perf_counter()
            await audits.scan(actor, NOW, other.id, f"E{1 + i % east}")
            latencies.append(time.perf_counter() - t)
        latencies.sort()
        figures["scan_p50_ms"] = latencies[len(latencies) // 2] * 1000
        figures["scan_p99_ms"] = latencies[int(len(latencies) * 0.99) - 1] * 1000
        print(
            f"  {args.single_scans} single scans: p50 {figures['scan_p50_ms']:.1f} ms, "
            f"p99 {figures['scan_p99_ms']:.1f} ms"
        )
    finally:
        await close_database(engine)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=50_000)
    parser.add_argument("--scans", type=int, default=49_000)
    parser.add_argument("--on-loan", type=int, default=300)
    parser.add_argument("--single-scans", type=int, default=300)
    parser.add_argument(
        "--url",
        default=os.environ.get(
            "LENDING_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
        help="a PostgreSQL database to create the scratch database from",
    )
    args = parser.parse_args()
    name = f"bench_audit_{uuid.uuid4().hex[:6]}"
    url = args.url.rpartition("/")[0] + "/" + name
    asyncio.run(admin(f"CREATE DATABASE {name}", args.url))
    try:
        subprocess.run(
            [str(Path(sys.executable).with_name("lending")), "migrate"],
            env={**os.environ, "LENDING_DATABASE_URL": url},
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        print(f"Shelf audit close: {args.devices:,} devices, {args.scans:,} scans (PostgreSQL)")
        figures = asyncio.run(run(url, args))
    finally:
        asyncio.run(admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", args.url))
    ok_time = figures["close_s"] < TARGET_SECONDS
    ok_mem = figures["peak_mb"] < TARGET_MB
    print(
        f"close {figures['close_s']:.2f} s (target < {TARGET_SECONDS:.0f} s: "
        f"{'met' if ok_time else 'MISSED'}); peak memory {figures['peak_mb']:.1f} MB "
        f"(process RSS; {figures['peak_before_close_mb']:.1f} MB before the close; target < "
        f"{TARGET_MB:.0f} MB: {'met' if ok_mem else 'MISSED'})"
    )
    return 0 if ok_time and ok_mem else 1


if __name__ == "__main__":
    sys.exit(main())
