#!/usr/bin/env python3
"""Where a checkout -> checkin's time goes: the hot path's statements with less and less of the
stack around them, and pgbench, one after another in one run on the same PostgreSQL.

    .venv/bin/python bench/stack_floor.py [--seconds 20] [--clients 16] [--workers 2]

1. lending: `lending serve --workers N`, driven as bench/circulation.py drives it;
2. bare: bench/bare_app.py under uvicorn with the same workers: Litestar and an asyncpg pool
   running the same four round trips per request (BEGIN, the facts query, the write, COMMIT)
   and nothing else of lending;
3. sql: the same statements on asyncpg in this process, one connection per client, no HTTP;
4. pgbench TPC-B-like with the same clients and time.

Each side prints its requests/s, its ratio to pgbench's tps and the CPU it took per request
(the server's processes for lending and bare, this process for sql). The gaps between the
lines are what each layer costs on this machine. Needs what bench/circulation.py needs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import circulation as cb  # noqa: E402  (bench/circulation.py: server, client, pgbench)
from bare_app import lend, take_back  # noqa: E402  (the same two transactions as the bare app)

from lending.services.access.tokens import digest_of  # noqa: E402


class BareServer(cb.Server):
    """bench/bare_app.py under uvicorn, in a process group of its own like `lending serve`."""

    def __init__(self, url: str, workers: int, workdir: Path) -> None:
        self.port = cb.free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.dbname = cb.database_name(url)
        self.log_path = workdir / "bare.log"
        uvicorn = str(Path(sys.executable).with_name("uvicorn"))
        with self.log_path.open("wb") as out:
            self.process = subprocess.Popen(
                [uvicorn, "bare_app:app", "--app-dir", str(BENCH), "--host", "127.0.0.1",
                 "--port", str(self.port), "--workers", str(workers), "--no-access-log",
                 "--log-level", "warning"],
                env={**os.environ, "BARE_DATABASE_URL": url},
                cwd=workdir, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip


async def sql_side(
    url: str, token: str, devices: list[str], patrons: list[str], seconds: float
) -> cb.Side:
    """Each client: checkout then checkin of its own device, the bare app's two transactions
    without HTTP around them; a transaction counts as one request."""
    digest = digest_of(token)
    conns = [await asyncpg.connect(url) for _ in devices]
    latencies: list[list[float]] = [[] for _ in devices]
    stop_at = 0.0

    async def cycle(c: asyncpg.Connection, device: str, card: str, mine: list[float]) -> None:
        t0 = time.perf_counter()
        await lend(c, device, card, digest)
        t1 = time.perf_counter()
        await take_back(c, device, digest)
        mine += (t1 - t0, time.perf_counter() - t1)

    async def client(i: int) -> None:
        while time.perf_counter() < stop_at:
            await cycle(conns[i], devices[i], patrons[i], latencies[i])

    for i in range(len(devices)):  # warm-up: statements prepared, plans cached
        await cycle(conns[i], devices[i], patrons[i], [])
    with cb.BackendCpu(cb.database_name(url)) as database:
        cpu_before, began = time.process_time(), time.perf_counter()
        stop_at = began + seconds
        await asyncio.gather(*(client(i) for i in range(len(devices))))
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_before
    await asyncio.gather(*(c.close() for c in conns))
    flat = sorted(x * 1000 for per in latencies for x in per)
    return cb.Side(
        name="sql",
        clients=len(devices),
        seconds=round(elapsed, 2),
        count=len(flat),
        per_second=len(flat) / elapsed,
        p50_ms=cb.percentile(flat, 50),
        p99_ms=cb.percentile(flat, 99),
        mean_ms=statistics.fmean(flat),
        extra={
            "server_cpu_ms_per_request": 1000 * cpu / max(1, len(flat)),
            **cb.database_cpu(database, len(flat), elapsed),
        },
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pg-url", default=cb.DEFAULT_PG_URL)
    parser.add_argument("--out", type=Path, default=BENCH / "out" / "stack_floor.json")
    args = parser.parse_args(argv)

    suffix = uuid.uuid4().hex[:8]
    app_db, pg_db = f"lending_floor_{suffix}", f"pgbench_floor_{suffix}"
    workdir = Path(tempfile.mkdtemp(prefix="lending-floor-"))
    created: list[str] = []
    server: cb.Server | None = None
    sides: dict[str, cb.Side] = {}
    try:
        asyncio.run(cb.pg_admin(args.pg_url, f"CREATE DATABASE {app_db}"))
        created.append(app_db)
        url = cb.database_url(args.pg_url, app_db)
        cb.lending("migrate", url=url, cwd=workdir)
        server = cb.Server(url, args.workers, workdir)
        server.wait_healthy()
        token, devices, patrons = cb.seed(server, url, args.clients, workdir)
        cb.log(f"lending: {args.clients} clients, {args.workers} worker(s), {args.seconds:g} s")
        sides["lending"] = cb.run_fast(cb.drive(server, token, devices, patrons, args.seconds))
        server.stop()
        server = BareServer(url, args.workers, workdir)
        server.wait_healthy()
        cb.log(f"bare Litestar app: {args.seconds:g} s")
        sides["bare"] = cb.run_fast(cb.drive(server, token, devices, patrons, args.seconds))
        server.stop()
        server = None
        cb.log(f"sql only: {args.seconds:g} s")
        sides["sql"] = cb.run_fast(sql_side(url, token, devices, patrons, args.seconds))
        asyncio.run(cb.pg_admin(args.pg_url, f"CREATE DATABASE {pg_db}"))
        created.append(pg_db)
        pg = cb.run_pgbench(
            cb.database_url(args.pg_url, pg_db),
            args.clients,
            min(os.cpu_count() or 1, args.clients),
            args.seconds,
            args.clients,
            workdir,
        )
        print()
        print(
            f"checkout -> checkin, {args.clients} clients, {args.workers} worker(s), "
            f"{args.seconds:g} s per side; {os.cpu_count()} CPUs, load average {cb.load_average()}"
        )
        # CPU ms per request: the server's processes (for sql, this process) and PostgreSQL's
        # backends for this side's database ("-" when PostgreSQL's processes are not readable).
        print(f"{'side':10s} {'requests/s':>11s} {'/ pgbench':>10s} {'p50 ms':>8s} "
              f"{'p99 ms':>8s} {'CPU ms: app':>12s} {'PostgreSQL':>11s} {'errors':>7s}")  # fmt: skip

        def ms(value: float | None) -> str:
            return "-" if value is None else f"{value:.3f}"

        for name, side in sides.items():
            print(
                f"{name:10s} {side.per_second:11.1f} {side.per_second / pg.per_second:10.3f} "
                f"{side.p50_ms:8.2f} {side.p99_ms:8.2f} "
                f"{ms(side.extra['server_cpu_ms_per_request']):>12s} "
                f"{ms(side.extra.get('database_cpu_ms_per_request')):>11s} {side.errors:7d}"
            )
        pgbench_own = 1000 * pg.extra["load_generator_cpu_cores"] / pg.per_second
        print(
            f"{'pgbench':10s} {pg.per_second:11.1f} {1:10.3f} {pg.p50_ms:8.2f} {pg.p99_ms:8.2f} "
            f"{ms(pgbench_own):>12s} {ms(pg.extra.get('database_cpu_ms_per_request')):>11s}"
        )
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            json.dumps(
                {
                    "sides": {k: cb.asdict(v) for k, v in sides.items()},
                    "pgbench": cb.asdict(pg),
                    "load_average": cb.load_average(),
                },
                indent=2,
            )
            + "\n"
        )
        return 0 if all(side.errors == 0 for side in sides.values()) else 1
    finally:
        if server is not None:
            server.stop()
        for name in created:
            with contextlib.suppress(Exception):
                asyncio.run(
                    cb.pg_admin(args.pg_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                )
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
