"""Benchmark `lending backup` and `lending restore` on SQLite and PostgreSQL.

For each database: seeds 1,000,000 loans with one audit event each (100,000 still out, the
rest returned; 200,000 devices, 100,000 patrons), then times `lending backup FILE`, `lending
restore FILE` into a new empty database and `lending check` on the restored copy, all as the
operator runs them (real processes, wall-clock time). Prints the times and sizes and writes
bench/out/backup.json.

    .venv/bin/python bench/backup.py [--loans 1000000] [--only sqlite|postgres] [--url postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import jobs as jobs_bench  # noqa: E402  (the PostgreSQL seed of bench/jobs.py)

ROOT = Path(__file__).resolve().parents[1]
LENDING = str(Path(sys.executable).with_name("lending"))
NOW = "2026-12-01 16:00:00"

# The same shape as bench/jobs.py's PostgreSQL seed, in SQLite's dialect.
SQLITE_SEED = """
WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < :patrons)
INSERT INTO patron (card_number, name, email, phone, language, household, branch, expires_on,
                    blocked, block_reason, pin_hash, created_at)
SELECT 'P' || x, 'Patron ' || x, CASE WHEN x % 3 = 0 THEN NULL ELSE 'p' || x || '@example.org' END,
       CASE WHEN x % 2 = 0 THEN '+1555' || substr('0000000' || x, -7) ELSE NULL END,
       CASE WHEN x % 4 = 1 THEN 'es' ELSE 'en' END, NULL, 1, '2030-01-01', 0, NULL, NULL, :now
FROM g;
WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < :devices)
INSERT INTO device (barcode, kind, model, serial_number, imei, branch, status,
                    replacement_cost_cents, notes, needs_label, created_at, updated_at)
SELECT 'D' || x, CASE WHEN x % 3 = 0 THEN 'laptop' ELSE 'hotspot' END, 'Model', 'SN' || x, NULL, 1,
       CASE WHEN x <= :out THEN 'on_loan' ELSE 'available' END, 12000, '', 0, :now, :now
FROM g;
WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < :loans),
d(x, dev) AS (SELECT x, CASE WHEN x <= :out THEN x ELSE :out + 1 + (x % (:devices - :out)) END
              FROM g)
INSERT INTO loan (device, patron, branch, kind, household, checked_out_at, due_at, renewals,
                  status, returned_at, checked_out_by)
SELECT dev, 1 + (x % :patrons), 1, CASE WHEN dev % 3 = 0 THEN 'laptop' ELSE 'hotspot' END, NULL,
       datetime(:now, '-' || (CASE WHEN x <= :out THEN 1 + (x % 20) ELSE 30 + (x % 700) END)
                || ' days') || '+00:00',
       datetime(:now, '+' || (CASE WHEN x <= :out THEN 1 + (x % 20) ELSE 0 END) || ' days',
                '-' || (CASE WHEN x <= :out THEN 0 ELSE 9 + (x % 700) END) || ' days')
                || '+00:00',
       0, CASE WHEN x <= :out THEN 'active' ELSE 'returned' END,
       CASE WHEN x <= :out THEN NULL
            ELSE datetime(:now, '-' || (10 + (x % 700)) || ' days') || '+00:00' END,
       'bench'
FROM d;
INSERT INTO event (at, actor, action, subject, details, patron_card, loan)
SELECT checked_out_at, 'desk', 'checkout', 'D' || device, '{}', 'P' || patron, id FROM loan;
"""


def lending(*args: str, url: str) -> tuple[float, str]:
    env = {**os.environ, "LENDING_DATABASE_URL": url, "LENDING_RUN_JOBS": "0"}
    env.pop("PICCOLO_CONF", None)
    started = time.perf_counter()
    result = subprocess.run([LENDING, *args], env=env, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0 and args[0] != "check":
        sys.exit(f"lending {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return seconds, result.stdout.strip()


def seed_sqlite(path: Path, loans: int) -> float:
    out = loans // 10
    devices, patrons = max(out * 2, loans // 5), max(1000, loans // 10)
    started = time.perf_counter()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO branch (code, name, timezone, created_at) "
            "VALUES ('MAIN', 'Main', 'America/Chicago', ?)",
            (NOW + "+00:00",),
        )
        params = {"now": NOW, "loans": loans, "out": out, "devices": devices, "patrons": patrons}
        for statement in SQLITE_SEED.split(";\n"):
            if statement.strip():
                conn.execute(statement, params)
        conn.execute("UPDATE patron SET created_at = created_at || '+00:00'")
        conn.execute("UPDATE device SET created_at = created_at || '+00:00', "
                     "updated_at = updated_at || '+00:00'")  # fmt: skip
    with sqlite3.connect(path) as conn:
        conn.execute("ANALYZE")
    return time.perf_counter() - started


async def pg_size(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval("SELECT pg_database_size(current_database())")
    finally:
        await conn.close()


def run_one(kind: str, loans: int, base: str, folder: Path) -> dict:
    print(f"\n{kind}: seeding {loans:,} loans ...", flush=True)
    if kind == "sqlite":
        source, target = folder / "source.sqlite3", folder / "restored.sqlite3"
        source_url, target_url = f"sqlite:///{source}", f"sqlite:///{target}"
        lending("migrate", url=source_url)
        seeded = seed_sqlite(source, loans)
        database_bytes = source.stat().st_size
    else:
        tag = uuid.uuid4().hex[:6]
        names = (f"bench_backup_src_{tag}", f"bench_backup_dst_{tag}")
        for name in names:
            asyncio.run(jobs_bench.admin(f"CREATE DATABASE {name}", base))
        source_url, target_url = (jobs_bench.url_for(n, base) for n in names)
        lending("migrate", url=source_url)
        seeded = asyncio.run(jobs_bench.seed(source_url, loans, loans // 10))
        database_bytes = asyncio.run(pg_size(source_url))
    try:
        print(f"  seeded in {seeded:.1f} s; database {database_bytes / 1e6:,.0f} MB", flush=True)
        backup = folder / f"{kind}.backup"
        backup_s, said = lending("backup", str(backup), url=source_url)
        print(f"  backup  {backup_s:6.1f} s  ({said.splitlines()[0]})", flush=True)
        waited = next((line for line in said.splitlines() if line.startswith("Writes waited")), "")
        if waited:
            print(f"          {waited}", flush=True)
        restore_s, said = lending("restore", str(backup), url=target_url)
        print(f"  restore {restore_s:6.1f} s  ({said.splitlines()[0]})", flush=True)
        check_s, said = lending("check", url=target_url)
        print(f"  check   {check_s:6.1f} s  ({said.splitlines()[-1]})", flush=True)
        return {
            "database": kind,
            "loans": loans,
            "database_bytes": database_bytes,
            "backup_bytes": backup.stat().st_size,
            "backup_s": round(backup_s, 2),
            "writes_waited": waited,
            "restore_s": round(restore_s, 2),
            "check_on_restored_s": round(check_s, 2),
            "restored_check": said.splitlines()[-1],
        }
    finally:
        if kind == "postgres":
            for name in names:
                asyncio.run(jobs_bench.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", base))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument(
        "--url",
        default=jobs_bench.base_url(),
        help="a PostgreSQL database to create scratch databases from",
    )
    args = parser.parse_args()
    kinds = [args.only] if args.only else ["sqlite", "postgres"]
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    results = []
    with tempfile.TemporaryDirectory(prefix="lending-bench-backup-") as tmp:
        for kind in kinds:
            results.append(run_one(kind, args.loans, args.url, Path(tmp)))
    print("\nResult")
    print(f"  {'database':<9} {'data':>9} {'backup file':>12} {'backup':>8} {'restore':>8}")
    for r in results:
        print(
            f"  {r['database']:<9} {r['database_bytes'] / 1e6:7,.0f} MB {r['backup_bytes'] / 1e6:9,.0f} MB"
            f" {r['backup_s']:7.1f}s {r['restore_s']:7.1f}s"
        )
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "backup.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
