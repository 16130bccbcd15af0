#!/usr/bin/env python3
"""A login flood: does the server keep answering other requests while it checks 200 secrets?

    .venv/bin/python bench/login_flood.py [--db both|sqlite|postgres] [--logins 200] [--workers 1]

For each database (a scratch SQLite file and a scratch PostgreSQL database), all by itself and
undone afterwards:
1. `lending migrate`, `lending staff add` (an admin and a desk account), `lending serve` on a
   free port with production Argon2 parameters, LENDING_VERIFY_LOG (to count verifications) and
   the load generator trusted as a proxy (LENDING_TRUSTED_PROXIES=127.0.0.1/32), so every flood
   login comes from its own X-Forwarded-For address and the per-client limits do not cut the
   flood short; seeds a device, a patron, and `--logins / 4` residents with a PIN;
2. for `--idle` seconds, times `GET /api/health` (a new probe every 10 ms, open-loop: a
   stalled server shows as many slow probes) and a desk's checkout -> checkin loop, with
   nothing else going on;
3. fires `--logins` logins at once from a separate process (half right PINs, half wrong, four
   per resident: no account reaches its lockout, so every one is a real Argon2 verification),
   and times the same two loops until the last login has answered;
4. prints p50 / p95 / p99 / max of both loops, idle and during the flood, how long the flood
   took, its status codes and the verifications the server counted.

The timing loops use the small keep-alive HTTP/1.1 client of bench/circulation.py in this
process; the flood runs in another process (httpx), so its client work does not delay the
timing loops. Target (issue 10): health p99 under 50 ms during the flood.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from circulation import (  # noqa: E402 - the bench folder is not a package
    DEFAULT_PG_URL,
    Connection,
    Server,
    database_url,
    lending,
    load_average,
    log,
    percentile,
    pg_admin,
    run_fast,
)

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-flood-password"
PIN = "2468"
TARGET_HEALTH_P99_MS = 50.0


def seed(server: Server, url: str, workdir: Path, residents: int) -> tuple[str, list[str]]:
    """The desk's token and the residents' cards (one device and one patron for the desk)."""
    for name, role in (("flood-admin", "admin"), ("flood-desk", "desk")):
        lending("staff", "add", name, "--role", role, "--password", PASSWORD, url=url, cwd=workdir)
    with httpx.Client(base_url=server.base_url, timeout=60) as c:

        def token(username: str) -> str:
            r = c.post("/api/auth/token", json={"username": username, "password": PASSWORD})
            r.raise_for_status()
            return r.json()["access_token"]

        admin = {"Authorization": f"Bearer {token('flood-admin')}"}
        c.post(
            "/api/branches",
            headers=admin,
            json={"code": "MAIN", "name": "Main", "timezone": "America/Chicago"},
        ).raise_for_status()
        c.post(
            "/api/devices",
            headers=admin,
            json={
                "barcode": "FLOOD0001",
                "kind": "hotspot",
                "model": "Bench hotspot",
                "serial_number": "FSN0001",
                "branch": "MAIN",
            },
        ).raise_for_status()
        cards = []
        for i in range(residents + 1):
            card = f"F{i:06d}"
            body = {"card_number": card, "name": f"Flood {i}", "expires_on": "2099-01-01"}
            if i:
                body["pin"] = PIN
            c.post("/api/patrons", headers=admin, json=body).raise_for_status()
            cards.append(card)
        return token("flood-desk"), cards


def flood(base_url: str, cards: list[str], logins: int, results) -> None:
    """(in a child process) `logins` logins at once, each from its own forwarded address."""

    async def run() -> tuple[float, dict[int, int]]:
        limits = httpx.Limits(max_connections=logins, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=base_url, timeout=600, limits=limits) as c:

            async def one(i: int) -> int:
                card = cards[i % len(cards)]
                pin = PIN if i % 2 == 0 else "0000"
                client = f"10.{77 + i // 65536}.{i // 256 % 256}.{i % 256}"
                r = await c.post(
                    "/api/auth/token",
                    json={"card_number": card, "pin": pin},
                    headers={"x-forwarded-for": client},
                )
                return r.status_code

            began = time.perf_counter()
            codes = await asyncio.gather(*(one(i) for i in range(logins)))
            return time.perf_counter() - began, dict(Counter(codes))

    results.put(asyncio.run(run()))


async def timed_loops(port: int, token: str, patron: str, until) -> dict[str, list[float]]:
    """Health probes and a desk's checkout -> checkin loop, until `until()` is true.

    Health is probed open-loop: a new probe (its own connection) starts every 10 ms whether or
    not the earlier ones have answered, so a stalled server shows as many slow probes, not as
    one slow probe and a gap. The desk is closed-loop, as a desk waits for each reply."""
    desk = Connection("127.0.0.1", port, token)
    await desk.open()
    samples: dict[str, list] = {"health": [], "checkout": [], "errors": [], "slow": []}
    out = json.dumps({"patron": patron, "device": "FLOOD0001"}).encode()
    back = json.dumps({"device": "FLOOD0001"}).encode()
    clock = time.perf_counter
    began = clock()

    async def probe() -> None:
        t0 = clock()
        conn = Connection("127.0.0.1", port, token)
        await conn.open()
        try:
            status, _ = await conn.get("/api/health")
        finally:
            await conn.close()
        samples["health"].append((clock() - t0) * 1000)
        if samples["health"][-1] > 50:  # when the slow probes started, from the first probe
            samples["slow"].append(round(t0 - began, 2))
        if status != 200:
            samples["errors"].append(f"health {status}")

    async def health_loop() -> None:
        probes: set[asyncio.Future] = set()
        while not until():
            task = asyncio.ensure_future(probe())
            probes.add(task)
            task.add_done_callback(probes.discard)
            await asyncio.sleep(0.01)
        await asyncio.gather(*probes)

    async def desk_loop() -> None:
        while not until():
            for path, body, expected in (("/api/checkout", out, 201), ("/api/checkin", back, 200)):
                t0 = clock()
                status, reply = await desk.post(path, body)
                samples["checkout"].append((clock() - t0) * 1000)
                if status != expected:
                    samples["errors"].append(f"{path} {status} {reply[:120]!r}")

    try:
        await asyncio.gather(health_loop(), desk_loop())
    finally:
        await desk.close()
    return samples


def stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "p50_ms": percentile(ordered, 50),
        "p95_ms": percentile(ordered, 95),
        "p99_ms": percentile(ordered, 99),
        "max_ms": ordered[-1] if ordered else float("nan"),
    }


def measure(kind: str, args: argparse.Namespace) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"lending-flood-{kind}-"))
    scratch = None
    server = None
    try:
        if kind == "sqlite":
            url = f"sqlite:///{workdir / 'flood.sqlite3'}"
        else:
            scratch = f"lending_flood_{uuid.uuid4().hex[:8]}"
            asyncio.run(pg_admin(args.pg_url, f"CREATE DATABASE {scratch}"))
            url = database_url(args.pg_url, scratch)
        lending("migrate", url=url, cwd=workdir)
        verify_log = workdir / "verifications.log"
        env = {
            "LENDING_VERIFY_LOG": str(verify_log),
            "LENDING_TRUSTED_PROXIES": "127.0.0.1/32",
            "LENDING_LOGIN_REQUESTS_PER_MINUTE": "100000",
        }
        if args.hash_workers:
            env["LENDING_HASH_WORKERS"] = str(args.hash_workers)
        server = Server(url, args.workers, workdir, env=env)
        server.wait_healthy()
        residents = max(1, args.logins // 4)
        log(f"{kind}: server on {server.base_url}, {args.workers} worker(s); seeding")
        token, cards = seed(server, url, workdir, residents)
        patron, residents_cards = cards[0], cards[1:]
        before = verify_log.read_text().count("\n") if verify_log.exists() else 0

        log(f"{kind}: idle for {args.idle:g} s")
        idle_end = time.monotonic() + args.idle
        idle = run_fast(
            timed_loops(server.port, token, patron, lambda: time.monotonic() > idle_end)
        )

        log(f"{kind}: {args.logins} logins at once")
        results = multiprocessing.Queue()
        child = multiprocessing.Process(
            target=flood, args=(server.base_url, residents_cards, args.logins, results)
        )
        child.start()
        during = run_fast(timed_loops(server.port, token, patron, lambda: not child.is_alive()))
        seconds, codes = results.get(timeout=600)
        child.join()
        after = verify_log.read_text().count("\n") if verify_log.exists() else 0
        return {
            "database": kind,
            "workers": args.workers,
            "logins": args.logins,
            "flood_seconds": round(seconds, 2),
            "login_statuses": codes,
            "verifications_counted": after - before,
            "idle": {"health": stats(idle["health"]), "checkout": stats(idle["checkout"])},
            "flood": {"health": stats(during["health"]), "checkout": stats(during["checkout"])},
            # Slow health probes (> 50 ms) by the second of the flood they started in.
            "slow_health_by_second": dict(Counter(int(t) for t in during["slow"])),
            "errors": (idle["errors"] + during["errors"])[:5],
            "load_average": load_average(),
        }
    finally:
        if server is not None:
            server.stop()
        if scratch is not None:
            with contextlib.suppress(Exception):
                asyncio.run(
                    pg_admin(args.pg_url, f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")
                )
        shutil.rmtree(workdir, ignore_errors=True)


def report(result: dict) -> None:
    print()
    print(
        f"{result['database']}: {result['logins']} logins at once, {result['workers']} worker(s), "
        f"answered in {result['flood_seconds']:.1f} s {result['login_statuses']}, "
        f"{result['verifications_counted']} verifications counted (load {result['load_average']})"
    )
    for phase in ("idle", "flood"):
        for loop in ("health", "checkout"):
            s = result[phase][loop]
            print(
                f"  {phase:5} {loop:8} n={s['n']:5d}  p50 {s['p50_ms']:7.1f}  p95 {s['p95_ms']:7.1f}"
                f"  p99 {s['p99_ms']:7.1f}  max {s['max_ms']:7.1f} ms"
            )
    slow = ", ".join(f"{k} s: {v}" for k, v in sorted(result["slow_health_by_second"].items()))
    print(f"  health probes over 50 ms during the flood, by second: {slow or 'none'}")
    p99 = result["flood"]["health"]["p99_ms"]
    met = "met" if p99 < TARGET_HEALTH_P99_MS else "MISSED"
    print(f"  target: health p99 during the flood < {TARGET_HEALTH_P99_MS:g} ms: {met}")
    if result["errors"]:
        print(f"  errors: {result['errors']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["both", "sqlite", "postgres"], default="both")
    parser.add_argument("--logins", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers (%(default)s)")
    parser.add_argument(
        "--hash-workers", type=int, default=0, help="LENDING_HASH_WORKERS (default: the server's)"
    )
    parser.add_argument("--idle", type=float, default=3.0, help="seconds timed before the flood")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "login_flood.json")
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = []
    for kind in kinds:
        result = measure(kind, args)
        report(result)
        results.append(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
