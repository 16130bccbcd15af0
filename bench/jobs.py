"""Benchmark the set-based jobs on PostgreSQL against hand-written SQL.

Seeds 1,000,000 loans (100,000 still out and overdue at mixed stages, the rest returned, most
of them long ago), then times `overdue`, `mark_lost` and `anonymize` through the real job code,
and the equivalent hand-written SQL on an identical copy of the database. Prints the figures.

    .venv/bin/python bench/jobs.py [--loans 1000000] [--overdue 100000] [--url postgresql://...]
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
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)

SEED_BRANCH = "INSERT INTO branch (code, name, timezone, created_at) VALUES ('MAIN', 'Main', 'America/Chicago', $1)"
SEED_PATRONS = """
INSERT INTO patron (card_number, name, email, phone, language, household, branch, expires_on, blocked,
                    block_reason, pin_hash, created_at)
SELECT 'P' || g, 'Patron ' || g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'p' || g || '@example.org' END,
       CASE WHEN g % 2 = 0 THEN '+1555' || lpad(g::text, 7, '0') ELSE NULL END,
       CASE WHEN g % 4 = 1 THEN 'es' ELSE 'en' END, NULL, 1, '2030-01-01', false, NULL, NULL, $1
FROM generate_series(1, $2::int) g"""
SEED_DEVICES = """
INSERT INTO device (barcode, kind, model, serial_number, imei, branch, status, replacement_cost_cents,
                    notes, needs_label, created_at, updated_at)
SELECT 'D' || g, CASE WHEN g % 3 = 0 THEN 'laptop' ELSE 'hotspot' END, 'Model', 'SN' || g, NULL, 1,
       CASE WHEN g <= $2::int THEN 'on_loan' ELSE 'available' END, 12000, '', false, $1, $1
FROM generate_series(1, $3::int) g"""

LOANS = """
INSERT INTO loan (device, patron, branch, kind, household, checked_out_at, due_at, renewals, status,
                  returned_at, checked_out_by)
SELECT CASE WHEN g <= $2::int THEN g ELSE $2::int + 1 + (g % ($3::int - $2::int)) END,
       1 + (g % $4::int), 1,
       CASE WHEN (CASE WHEN g <= $2::int THEN g ELSE $2::int + 1 + (g % ($3::int - $2::int)) END) % 3 = 0
            THEN 'laptop' ELSE 'hotspot' END,
       NULL,
       $1::timestamptz - make_interval(days => CASE WHEN g <= $2::int THEN 21 + (g % 60) ELSE 30 + (g % 700) END),
       $1::timestamptz - make_interval(days => CASE WHEN g <= $2::int THEN (g % 60) ELSE 9 + (g % 700) END)
                       - interval '1 hour',
       0,
       CASE WHEN g <= $2::int THEN 'active' ELSE 'returned' END,
       CASE WHEN g <= $2::int THEN NULL
            ELSE $1::timestamptz - make_interval(days => 10 + (g % 700)) END,
       'bench'
FROM generate_series(1, $5::int) g;
INSERT INTO event (at, actor, action, subject, details, patron_card, loan)
SELECT l.checked_out_at, 'desk', 'checkout', 'D' || l.device, '{}', 'P' || l.patron, l.id FROM loan l;
"""

HAND_WRITTEN = {
    "overdue": """
        INSERT INTO notice (patron, kind, loan, hold, stage, channel, recipient, language, subject, body,
                            status, attempts, next_attempt_at, last_error, created_at, sent_at)
        SELECT l.patron, 'overdue', l.id, NULL,
               'd' || s.days || '-r' || l.renewals,
               CASE WHEN p.email IS NOT NULL THEN 'email' WHEN p.phone IS NOT NULL THEN 'sms' ELSE 'call' END,
               NULL, p.language, '', '', 'pending', 0, $1, '', $1, NULL
        FROM loan l JOIN patron p ON p.id = l.patron
        JOIN LATERAL (SELECT max(d) AS days FROM unnest(ARRAY[1, 7, 14]) d
                      WHERE l.due_at <= $1::timestamptz - make_interval(days => d)) s ON s.days IS NOT NULL
        WHERE l.returned_at IS NULL AND l.status = 'active'
        ON CONFLICT DO NOTHING""",
    "mark_lost": """
        WITH lost AS (
            UPDATE loan l SET status = 'lost'
            WHERE l.returned_at IS NULL AND l.status = 'active' AND l.patron IS NOT NULL
              AND l.due_at <= $1::timestamptz - interval '30 days'
            RETURNING l.id, l.device, l.patron),
        dev AS (UPDATE device d SET status = 'lost', updated_at = $1 FROM lost WHERE d.id = lost.device
                RETURNING d.id, d.barcode, d.replacement_cost_cents),
        charged AS (INSERT INTO charge (loan, patron, kind, amount_cents, status, created_at)
                    SELECT lost.id, lost.patron, 'replacement', dev.replacement_cost_cents, 'open', $1
                    FROM lost JOIN dev ON dev.id = lost.device),
        noticed AS (INSERT INTO notice (patron, kind, loan, stage, channel, language, subject, body, status,
                                        attempts, next_attempt_at, last_error, created_at)
                    SELECT lost.patron, 'lost', lost.id, 'lost', 'email', 'en', '', '', 'pending', 0, $1, '', $1
                    FROM lost ON CONFLICT DO NOTHING)
        INSERT INTO event (at, actor, action, subject, details, patron_card, loan)
        SELECT $1, 'job:mark_lost', 'marked_lost', dev.barcode,
               json_build_object('replacement_cost_cents', dev.replacement_cost_cents), NULL, lost.id
        FROM lost JOIN dev ON dev.id = lost.device""",
    "anonymize": """
        WITH stale AS (
            UPDATE loan l SET patron = NULL, household = NULL
            WHERE l.patron IS NOT NULL AND l.returned_at < $1::timestamptz - interval '90 days'
              AND NOT EXISTS (SELECT 1 FROM charge c WHERE c.loan = l.id AND c.status = 'open')
            RETURNING l.id)
        UPDATE event e SET patron_card = NULL FROM stale WHERE e.loan = stale.id AND e.patron_card IS NOT NULL""",
}


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


async def seed(url: str, loans: int, overdue: int) -> float:
    devices = max(overdue * 2, loans // 5)
    patrons = max(1000, loans // 10)
    loan_sql, event_sql = [part for part in LOANS.split(";\n") if part.strip()][:2]
    conn = await asyncpg.connect(url)
    started = time.perf_counter()
    try:
        async with conn.transaction():
            await conn.execute(SEED_BRANCH, NOW)
            await conn.execute(SEED_PATRONS, NOW, patrons)
            await conn.execute(SEED_DEVICES, NOW, overdue, devices)
            await conn.execute(loan_sql, NOW, overdue, devices, patrons, loans)
            await conn.execute(event_sql)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return time.perf_counter() - started


async def run_jobs(url: str) -> dict[str, float]:
    os.environ["LENDING_DATABASE_URL"] = url
    from lending.database import close_database, make_engine, open_database
    from lending.jobs import run_job
    from lending.settings import Settings

    settings = Settings(database_url=url)
    engine = make_engine(url)
    await open_database(engine)
    timings = {}
    try:
        for name in ("overdue", "mark_lost", "anonymize"):
            started = time.perf_counter()
            result = await run_job(name, NOW, settings, trigger="cli")
            timings[name] = time.perf_counter() - started
            print(f"  job {name:<10} {timings[name]:7.2f} s  {result.summary}")
    finally:
        await close_database(engine)
    return timings


async def run_hand_written(url: str) -> dict[str, float]:
    conn = await asyncpg.connect(url)
    timings = {}
    try:
        for name, sql in HAND_WRITTEN.items():
            started = time.perf_counter()
            status = await conn.execute(sql, NOW)
            timings[name] = time.perf_counter() - started
            print(f"  sql {name:<10} {timings[name]:7.2f} s  {status}")
    finally:
        await conn.close()
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--overdue", type=int, default=100_000)
    parser.add_argument(
        "--url", default=base_url(), help="a PostgreSQL database to create scratch databases from"
    )
    args = parser.parse_args()
    tag = uuid.uuid4().hex[:6]
    jobs_db, sql_db = f"bench_jobs_{tag}", f"bench_sql_{tag}"
    asyncio.run(admin(f"CREATE DATABASE {jobs_db}", args.url))
    try:
        env = {**os.environ, "LENDING_DATABASE_URL": url_for(jobs_db, args.url)}
        subprocess.run(
            [str(Path(sys.executable).with_name("lending")), "migrate"],
            env=env,
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        print(f"Seeding {args.loans:,} loans ({args.overdue:,} overdue) ...")
        seconds = asyncio.run(seed(url_for(jobs_db, args.url), args.loans, args.overdue))
        print(f"  seeded in {seconds:.1f} s")
        asyncio.run(admin(f"CREATE DATABASE {sql_db} TEMPLATE {jobs_db}", args.url))
        print("Jobs (lending code):")
        jobs = asyncio.run(run_jobs(url_for(jobs_db, args.url)))
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print("Hand-written SQL (same data):")
        hand = asyncio.run(run_hand_written(url_for(sql_db, args.url)))
        print(
            "\nResult (target: each job < 30 s and <= 3x its hand-written SQL; peak memory < 300 MB)"
        )
        for name in jobs:
            ratio = jobs[name] / hand[name] if hand[name] else float("inf")
            print(
                f"  {name:<10} job {jobs[name]:6.2f} s   sql {hand[name]:6.2f} s   ratio {ratio:4.1f}x"
            )
        print(f"  peak memory of the job process: {peak_mb:.0f} MB")
    finally:
        for db in (jobs_db, sql_db):
            asyncio.run(admin(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)", args.url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
