#!/usr/bin/env python3
"""Circulation throughput on PostgreSQL, with pgbench on the same server as the ceiling.

    .venv/bin/python bench/circulation.py [--seconds 30] [--clients 16] [--workers 1]

What it does, all by itself, and undoes afterwards:
1. creates a scratch database, runs `lending migrate`, adds a desk account with `lending staff add`;
2. starts `lending serve --workers N` on a free port, seeds one hotspot and one patron per client
   through the API;
3. runs C clients for S seconds, each looping checkout -> checkin on its own device over one
   keep-alive connection, and samples the resident memory of every server process (/proc);
4. stops the server, runs pgbench's built-in TPC-B-like script with the same client count for the
   same time against the same PostgreSQL (scratch database, `pgbench -i`);
5. prints both, the ratio and the issue's targets, writes bench/out/circulation.json, drops the
   scratch databases.

Both sides are measured the same way: every completed request (HTTP) or transaction (pgbench) in
the timed window is counted and its latency recorded; throughput = count / window, and p50/p99
come from the full list of latencies (pgbench's per-transaction log, -l).

The load generator is a minimal HTTP/1.1 client on asyncio streams (uvloop when available), so the
client costs as little CPU as possible on the machine it shares with the server and PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import glob
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, unquote, urlsplit

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
LENDING = str(Path(sys.executable).with_name("lending"))
DEFAULT_PG_URL = os.environ.get(
    "LENDING_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
DESK_PASSWORD = "bench-desk-password"
# Issue 11's targets. One client: p50 only (a desk alone waits on one round of the hot path).
TARGET_RATIO = 0.4
TARGET_P99_MS = 40.0
TARGET_RSS_MB = 250.0
TARGET_CPU_MS = 1.5
TARGET_ONE_CLIENT_P50_MS = 4.0


# --- small helpers ---------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(admin_url: str, name: str) -> str:
    return f"{admin_url.rpartition('/')[0]}/{name}"


def database_name(url: str) -> str:
    return url.rpartition("/")[2]


async def pg_admin(admin_url: str, sql: str) -> None:
    conn = await asyncpg.connect(admin_url, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def lending_env(url: str) -> dict[str, str]:
    env = {**os.environ, "LENDING_DATABASE_URL": url, "LENDING_RUN_JOBS": "0"}
    env.pop("PICCOLO_CONF", None)
    return env


def lending(*args: str, url: str, cwd: Path) -> None:
    result = subprocess.run(
        [LENDING, *args],
        env=lending_env(url),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise SystemExit(f"lending {' '.join(args[:2])} failed:\n{result.stderr}")


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(p / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


# --- where the CPU goes: PostgreSQL's backends, and the server's workers' connections -----------


def _cpu_ticks(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])  # utime, stime


class BackendCpu:
    """CPU time of the PostgreSQL backends serving one database, sampled from /proc while a side
    runs (backends that come and go are counted from their first sample or from zero). Only
    when PostgreSQL runs on this machine and its processes are readable; else `seconds` is
    None."""

    def __init__(self, dbname: str) -> None:
        self.needle = f" {dbname} ".encode()
        self.first: dict[int, int] = {}
        self.last: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.began = self.ended = 0.0

    def _backends(self) -> list[int]:
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
                except OSError:
                    continue
                if cmdline.startswith(b"postgres: ") and self.needle in cmdline:
                    found.append(int(entry))
        return found

    def _sample(self, new_from_zero: bool, pids: list[int] | None = None) -> None:
        for pid in self._backends() if pids is None else pids:
            ticks = _cpu_ticks(pid)
            if ticks is None:
                continue
            self.first.setdefault(pid, 0 if new_from_zero else ticks)
            self.last[pid] = ticks

    def _run(self) -> None:
        # Every 0.25 s the known backends' times (cheap); every second a look for new ones.
        rounds = 0
        while not self._stop.wait(0.25):
            rounds += 1
            self._sample(True, None if rounds % 4 == 0 else list(self.last))

    def __enter__(self) -> BackendCpu:
        self._sample(new_from_zero=False)
        self.began = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._sample(new_from_zero=True)
        self.ended = time.perf_counter()
        self._stop.set()
        self._thread.join()

    @property
    def seconds(self) -> float | None:
        if not self.last:
            return None
        ticks = sum(self.last[pid] - self.first[pid] for pid in self.last)
        return ticks / os.sysconf("SC_CLK_TCK")


def connections_per_worker(server: Server) -> list[int]:
    """How many established connections to the server's port each worker process holds
    (uvicorn's workers share one listening socket and the kernel decides who accepts)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                cols = line.split()
                if int(cols[1].rpartition(":")[2], 16) == server.port and cols[3] == "01":
                    inodes.add(cols[9])
    pids = server.pids()
    # With --workers > 1 the supervisor (the process started) holds only the listening socket.
    workers = [pid for pid in pids if pid != server.process.pid] or pids
    counts = []
    for pid in workers:
        with contextlib.suppress(OSError):
            if b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes():
                continue
        held = 0
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    link = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if link.startswith("socket:[") and link[8:-1] in inodes:
                        held += 1
        counts.append(held)
    return sorted(counts, reverse=True)


def database_cpu(sampled: BackendCpu, count: int, elapsed: float) -> dict:
    """PostgreSQL's share: CPU ms per request (or transaction) and cores busy, when measured."""
    cpu = sampled.seconds
    if cpu is None:
        return {"database_cpu_ms_per_request": None, "database_cpu_cores": None}
    return {
        "database_cpu_ms_per_request": 1000 * cpu / max(1, count),
        "database_cpu_cores": cpu / elapsed,
    }


# --- server process and its memory --------------------------------------------------------------


class Server:
    """`lending serve` in a process group of its own, so it and its workers stop together."""

    def __init__(
        self, url: str, workers: int, workdir: Path, env: dict[str, str] | None = None
    ) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.dbname = database_name(url)
        self.log_path = workdir / "server.log"
        with self.log_path.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    LENDING,
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--workers",
                    str(workers),
                    "--no-access-log",
                    "--log-level",
                    "warning",
                ],
                env={**lending_env(url), **(env or {})},
                cwd=workdir,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited:\n{self.log_path.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/api/health", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise SystemExit(f"the server did not come up:\n{self.log_path.read_text()[-3000:]}")

    def pids(self) -> list[int]:
        """Every live process in the server's process group (uvicorn parent and workers)."""
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid pgrp ...: comm may contain spaces, so split after ')'.
            fields = stat.rpartition(")")[2].split()
            if int(fields[2]) == self.process.pid:
                found.append(int(entry))
        return found

    def rss_bytes(self) -> tuple[int, int]:
        """Sum of VmRSS over the server's processes (shared pages count once per process)."""
        return self._sum_kb("status", "VmRSS:")

    def pss_bytes(self) -> tuple[int, int]:
        """Sum of proportional set sizes: shared pages split between the processes sharing them."""
        return self._sum_kb("smaps_rollup", "Pss:")

    def _sum_kb(self, file: str, key: str) -> tuple[int, int]:
        total, count = 0, 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
                    if line.startswith(key):
                        total += int(line.split()[1]) * 1024
                        count += 1
            except OSError:
                continue
        return total, count

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far by the server's processes."""
        ticks = (_cpu_ticks(pid) for pid in self.pids())
        return sum(t for t in ticks if t is not None) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=15)


# --- a minimal keep-alive HTTP/1.1 client ------------------------------------------------------


class Connection:
    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.head = (
            f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\nConnection: keep-alive\r\n"
        )

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        self.writer.write(
            f"POST {path} HTTP/1.1\r\n{self.head}Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        return await self._reply()

    async def get(self, path: str) -> tuple[int, bytes]:
        self.writer.write(f"GET {path} HTTP/1.1\r\n{self.head}\r\n".encode())
        return await self._reply()

    async def _reply(self) -> tuple[int, bytes]:
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length, chunked = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if not chunked:
            return status, await self.reader.readexactly(length)
        data = b""
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await self.reader.readexactly(size + 2)
            if size == 0:
                return status, data
            data += chunk[:-2]

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()


@dataclass
class Side:
    """One measured run: throughput and latency, the same figures for the app and pgbench."""

    name: str
    clients: int
    seconds: float
    count: int
    per_second: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    errors: int = 0
    extra: dict = field(default_factory=dict)


async def drive(
    server: Server, token: str, devices: list[str], patrons: list[str], seconds: float
) -> Side:
    """Each client loops checkout -> checkin on its own device until the window closes."""
    clients = len(devices)
    connections = [Connection("127.0.0.1", server.port, token) for _ in range(clients)]
    await asyncio.gather(*(c.open() for c in connections))
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[str] = []
    rss_samples: list[tuple[int, int]] = []
    start = asyncio.Event()
    stop_at = 0.0

    async def client(i: int) -> None:
        conn, mine = connections[i], latencies[i]
        out = json.dumps({"patron": patrons[i], "device": devices[i]}).encode()
        back = json.dumps({"device": devices[i]}).encode()
        await start.wait()
        clock = time.perf_counter
        while clock() < stop_at:
            for path, body, expected in (("/api/checkout", out, 201), ("/api/checkin", back, 200)):
                t0 = clock()
                status, reply = await conn.post(path, body)
                mine.append(clock() - t0)
                if status != expected:
                    errors.append(f"{path} {status} {reply[:200]!r}")
                    if len(errors) > 100:
                        raise RuntimeError("too many errors: " + "\n".join(errors[:5]))

    async def sample_memory() -> None:
        while True:
            rss_samples.append(server.rss_bytes())
            await asyncio.sleep(0.5)

    # Warm-up (not counted): one cycle per client so pools and caches are primed.
    for i in range(clients):
        await connections[i].post(
            "/api/checkout", json.dumps({"patron": patrons[i], "device": devices[i]}).encode()
        )
        await connections[i].post("/api/checkin", json.dumps({"device": devices[i]}).encode())

    split = connections_per_worker(server)
    sampler = asyncio.ensure_future(sample_memory())
    tasks = [asyncio.ensure_future(client(i)) for i in range(clients)]
    await asyncio.sleep(0)
    cpu_before, own_before = server.cpu_seconds(), time.process_time()
    with BackendCpu(server.dbname) as database:
        began = time.perf_counter()
        stop_at = began + seconds
        start.set()
        try:
            await asyncio.gather(*tasks)
        finally:
            sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampler
        elapsed = time.perf_counter() - began
        server_cpu, own_cpu = server.cpu_seconds() - cpu_before, time.process_time() - own_before
    rss_samples.append(server.rss_bytes())
    pss, _ = server.pss_bytes()
    await asyncio.gather(*(c.close() for c in connections))

    flat = sorted(x * 1000 for per in latencies for x in per)
    peak_rss, processes = max(rss_samples)
    return Side(
        name="lending checkout+checkin (HTTP requests)",
        clients=clients,
        seconds=round(elapsed, 2),
        count=len(flat),
        per_second=len(flat) / elapsed,
        p50_ms=percentile(flat, 50),
        p99_ms=percentile(flat, 99),
        mean_ms=statistics.fmean(flat) if flat else float("nan"),
        errors=len(errors),
        extra={
            "peak_rss_mb": peak_rss / 2**20,
            "final_rss_mb": rss_samples[-1][0] / 2**20,
            "final_pss_mb": pss / 2**20,
            "server_processes": processes,
            "server_cpu_ms_per_request": 1000 * server_cpu / max(1, len(flat)),
            "server_cpu_cores": server_cpu / elapsed,
            "load_generator_cpu_cores": own_cpu / elapsed,
            **database_cpu(database, len(flat), elapsed),
            "connections_per_worker": split,
            "first_errors": errors[:5],
        },
    )


def run_fast(coro):
    """Run the load generator on uvloop when it is installed (uvicorn[standard] brings it)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


# --- pgbench ---------------------------------------------------------------------------------


def find_pgbench() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench")) or [shutil.which("pgbench")]
    if not found or not found[-1]:
        raise SystemExit("pgbench not found (looked in /usr/lib/postgresql/*/bin and PATH)")
    return found[-1]


def pg_host(parts: SplitResult) -> str:
    """The host pgbench is to reach: a Unix socket's directory, percent-encoded in the URL as
    asyncpg and libpq read it (its case kept), or the host name."""
    host = parts.netloc.rpartition("@")[2]
    if host[:3].lower() == "%2f":
        return unquote(host.partition(":")[0])
    return parts.hostname or "127.0.0.1"


def run_pgbench(
    url: str, clients: int, threads: int, seconds: float, scale: int, workdir: Path
) -> Side:
    pgbench = find_pgbench()
    parts = urlsplit(url)
    conn = [
        "-h",
        pg_host(parts),
        "-p",
        str(parts.port or 5432),
        "-U",
        parts.username or "postgres",
    ]
    env = {**os.environ}
    if parts.password:
        env["PGPASSWORD"] = parts.password
    dbname = database_name(url)
    log(f"pgbench -i -s {scale} (scratch database {dbname})")
    subprocess.run(
        [pgbench, "-i", "-q", "-s", str(scale), *conn, dbname],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    prefix = workdir / "pgbench_log"
    log(f"pgbench TPC-B-like: {clients} clients, {threads} threads, {seconds:g} s")
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with BackendCpu(dbname) as database:
        result = subprocess.run(
            [
                pgbench,
                "-c",
                str(clients),
                "-j",
                str(threads),
                "-T",
                str(int(seconds)),
                "-l",
                "--log-prefix",
                str(prefix),
                *conn,
                dbname,
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=seconds + 120,
        )
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    pgbench_cpu = (children.ru_utime + children.ru_stime) - (
        children_before.ru_utime + children_before.ru_stime
    )
    latencies: list[float] = []
    first, last = float("inf"), 0.0
    for path in glob.glob(f"{prefix}.*"):
        with open(path) as f:
            for line in f:
                # client_id transaction_no time script_no time_epoch time_us
                cols = line.split()
                if len(cols) < 6 or cols[2] == "skipped":
                    continue
                latency_us = int(cols[2])
                end = int(cols[4]) + int(cols[5]) / 1e6
                latencies.append(latency_us / 1000)
                first = min(first, end - latency_us / 1e6)
                last = max(last, end)
    latencies.sort()
    reported = None
    for line in result.stdout.splitlines():
        if line.startswith("tps =") and "without initial connection time" in line:
            reported = float(line.split()[2])
    elapsed = last - first if latencies else float("nan")
    return Side(
        name="pgbench TPC-B-like (transactions)",
        clients=clients,
        seconds=round(elapsed, 2),
        count=len(latencies),
        per_second=len(latencies) / elapsed if latencies else 0.0,
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        mean_ms=statistics.fmean(latencies) if latencies else float("nan"),
        extra={
            "scale": scale,
            "threads": threads,
            "pgbench_reported_tps": reported,
            **database_cpu(database, len(latencies), database.ended - database.began),
            "load_generator_cpu_cores": pgbench_cpu / (database.ended - database.began),
        },
    )


# --- setup and the whole run -----------------------------------------------------------------


def seed(server: Server, admin_url_for_cli: str, clients: int, workdir: Path) -> tuple:
    lending(
        "staff",
        "add",
        "bench-desk",
        "--role",
        "desk",
        "--password",
        DESK_PASSWORD,
        url=admin_url_for_cli,
        cwd=workdir,
    )
    lending(
        "staff",
        "add",
        "bench-admin",
        "--role",
        "admin",
        "--password",
        DESK_PASSWORD,
        url=admin_url_for_cli,
        cwd=workdir,
    )
    with httpx.Client(base_url=server.base_url, timeout=30) as c:

        def token(username: str) -> str:
            r = c.post("/api/auth/token", json={"username": username, "password": DESK_PASSWORD})
            r.raise_for_status()
            return r.json()["access_token"]

        admin = {"Authorization": f"Bearer {token('bench-admin')}"}
        c.post(
            "/api/branches",
            headers=admin,
            json={"code": "MAIN", "name": "Main", "timezone": "America/Chicago"},
        ).raise_for_status()
        devices, patrons = [], []
        for i in range(clients):
            barcode, card = f"BENCH{i:04d}", f"B{i:06d}"
            c.post(
                "/api/devices",
                headers=admin,
                json={
                    "barcode": barcode,
                    "kind": "hotspot",
                    "model": "Bench hotspot",
                    "serial_number": f"BSN{i:04d}",
                    "branch": "MAIN",
                },
            ).raise_for_status()
            c.post(
                "/api/patrons",
                headers=admin,
                json={
                    "card_number": card,
                    "name": f"Bench patron {i}",
                    "branch": "MAIN",
                    "expires_on": "2099-01-01",
                },
            ).raise_for_status()
            devices.append(barcode)
            patrons.append(card)
        return token("bench-desk"), devices, patrons


def report(app: Side, pg: Side | None, workers: int) -> dict:
    rss = app.extra["peak_rss_mb"]
    print()
    print(
        f"lending checkout -> checkin, {app.clients} clients, {workers} worker(s), "
        f"{app.seconds:g} s window"
    )
    print(
        f"  requests/s   {app.per_second:9.1f}   ({app.count} requests, "
        f"{app.per_second / 2:.1f} cycles/s, {app.errors} errors)"
    )
    print(
        f"  latency      p50 {app.p50_ms:.2f} ms   p99 {app.p99_ms:.2f} ms   "
        f"mean {app.mean_ms:.2f} ms"
    )
    print(
        f"  server RSS   peak {rss:.1f} MB, end {app.extra['final_rss_mb']:.1f} MB "
        f"(sum of {app.extra['server_processes']} processes; "
        f"PSS {app.extra['final_pss_mb']:.1f} MB)"
    )
    print(
        f"  server CPU   {app.extra['server_cpu_ms_per_request']:.2f} ms per request "
        f"({app.extra['server_cpu_cores']:.2f} cores busy; load generator "
        f"{app.extra['load_generator_cpu_cores']:.2f} cores)"
    )
    if app.extra.get("database_cpu_ms_per_request") is not None:
        print(
            f"  PostgreSQL   {app.extra['database_cpu_ms_per_request']:.2f} ms CPU per request "
            f"({app.extra['database_cpu_cores']:.2f} cores busy)"
        )
    if app.extra.get("connections_per_worker"):
        print(f"  workers      connections held per worker {app.extra['connections_per_worker']}")
    print(f"  machine      {os.cpu_count()} CPUs, load average {load_average()}")
    result = {"app": asdict(app), "workers": workers, "load_average": load_average()}
    cpu = app.extra["server_cpu_ms_per_request"]
    checks = [
        (f"server CPU <= {TARGET_CPU_MS:g} ms per request", cpu <= TARGET_CPU_MS),
        (f"server RSS < {TARGET_RSS_MB:g} MB", rss < TARGET_RSS_MB),
        ("no errors", app.errors == 0),
    ]
    if app.clients == 1:
        checks.insert(
            0, (f"p50 < {TARGET_ONE_CLIENT_P50_MS:g} ms", app.p50_ms < TARGET_ONE_CLIENT_P50_MS)
        )
    else:
        checks.insert(0, (f"p99 < {TARGET_P99_MS:g} ms", app.p99_ms < TARGET_P99_MS))
    if pg is not None:
        ratio = app.per_second / pg.per_second if pg.per_second else float("nan")
        print(
            f"pgbench TPC-B-like, {pg.clients} clients, scale {pg.extra['scale']}, "
            f"{pg.seconds:g} s window"
        )
        print(
            f"  tps          {pg.per_second:9.1f}   ({pg.count} transactions; pgbench says "
            f"{pg.extra['pgbench_reported_tps']})"
        )
        print(
            f"  latency      p50 {pg.p50_ms:.2f} ms   p99 {pg.p99_ms:.2f} ms   "
            f"mean {pg.mean_ms:.2f} ms"
        )
        if pg.extra.get("database_cpu_ms_per_request") is not None:
            print(
                f"  PostgreSQL   {pg.extra['database_cpu_ms_per_request']:.2f} ms CPU per "
                f"transaction ({pg.extra['database_cpu_cores']:.2f} cores busy; pgbench "
                f"{pg.extra['load_generator_cpu_cores']:.2f} cores)"
            )
        print(f"ratio  lending requests/s / pgbench tps = {ratio:.3f}")
        if None not in (
            app.extra.get("database_cpu_ms_per_request"),
            pg.extra.get("database_cpu_ms_per_request"),
        ):
            # On a machine whose cores are all busy, throughput ~ cores / CPU per unit of work.
            per_request = (
                app.extra["server_cpu_ms_per_request"]
                + app.extra["database_cpu_ms_per_request"]
                + 1000 * app.extra["load_generator_cpu_cores"] / app.per_second
            )
            per_transaction = (
                pg.extra["database_cpu_ms_per_request"]
                + 1000 * pg.extra["load_generator_cpu_cores"] / pg.per_second
            )
            result["cpu_ms"] = {"request": per_request, "pgbench_transaction": per_transaction}
            print(
                f"       CPU per request {per_request:.2f} ms (server + PostgreSQL + load "
                f"generator) against {per_transaction:.2f} ms per pgbench transaction"
            )
        checks.insert(0, (f"requests/s >= {TARGET_RATIO} x pgbench tps", ratio >= TARGET_RATIO))
        result.update(pgbench=asdict(pg), ratio=ratio)
    print("targets:")
    for label, passed in checks:
        print(f"  {'PASS' if passed else 'FAIL'}  {label}")
    result["targets"] = {label: passed for label, passed in checks}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn workers (1 suits a 2-core host)"
    )
    parser.add_argument(
        "--pg-url",
        default=DEFAULT_PG_URL,
        help="a PostgreSQL database to connect to for CREATE/DROP DATABASE",
    )
    parser.add_argument(
        "--pgbench-scale",
        type=int,
        default=None,
        help="pgbench scale factor (default: the client count, so pgbench's "
        "branch rows are not a contention point)",
    )
    parser.add_argument("--pgbench-threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-pgbench", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "circulation.json")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    suffix = uuid.uuid4().hex[:8]
    app_db, pg_db = f"lending_bench_{suffix}", f"pgbench_{suffix}"
    workdir = Path(tempfile.mkdtemp(prefix="lending-bench-"))
    created: list[str] = []
    server: Server | None = None
    try:
        asyncio.run(pg_admin(args.pg_url, f"CREATE DATABASE {app_db}"))
        created.append(app_db)
        url = database_url(args.pg_url, app_db)
        log(f"scratch database {app_db}: migrate")
        lending("migrate", url=url, cwd=workdir)
        server = Server(url, args.workers, workdir)
        server.wait_healthy()
        log(f"server on {server.base_url} with {args.workers} worker(s); seeding")
        token, devices, patrons = seed(server, url, args.clients, workdir)
        log(f"{args.clients} clients, checkout -> checkin for {args.seconds:g} s")
        app = run_fast(drive(server, token, devices, patrons, args.seconds))
        server.stop()
        server = None
        pg = None
        if not args.skip_pgbench:
            asyncio.run(pg_admin(args.pg_url, f"CREATE DATABASE {pg_db}"))
            created.append(pg_db)
            pg = run_pgbench(
                database_url(args.pg_url, pg_db),
                args.clients,
                min(args.pgbench_threads, args.clients),
                args.seconds,
                args.pgbench_scale or args.clients,
                workdir,
            )
        result = report(app, pg, args.workers)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
        log(f"wrote {args.out}")
        return 1 if args.strict and not all(result["targets"].values()) else 0
    finally:
        if server is not None:
            server.stop()
        for name in created:
            with contextlib.suppress(Exception):
                asyncio.run(pg_admin(args.pg_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
