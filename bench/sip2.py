#!/usr/bin/env python3
"""SIP2 checkout and checkin throughput over 16 kiosk sessions, against the HTTP figure of the
same server in the same run (PostgreSQL).

    .venv/bin/python bench/sip2.py [--seconds 20] [--clients 16]

1. creates a scratch database, migrates it, starts `lending serve` (one worker) with the SIP2
   server beside it (LENDING_SIP2_SERVE=true), seeds one hotspot and one patron per client and
   a kiosk account (`lending sip2 account add`);
2. HTTP: each client loops checkout -> checkin on its own device for S seconds
   (bench/circulation.py's load generator);
3. SIP2: each client is a kiosk session (93 login once), looping 11 checkout -> 09 checkin on
   its own device, with the error-detection trailer, for S seconds;
4. prints transactions per second, p50/p99 and the SIP/HTTP ratio; writes bench/out/sip2.json.

Both count every completed transaction in the window; the two runs share the machine, the
server process and the database, one after the other.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import circulation as circ  # noqa: E402 - the HTTP load generator, beside this file

from lending.sip2.codec import checksum, parse  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TODAY = time.strftime("%Y%m%d    %H%M%S")
BLANK = " " * 18
KIOSK, KIOSK_PASSWORD = "bench-kiosk", "bench-kiosk-pass"


class Kiosk:
    def __init__(self, port: int) -> None:
        self.port = port
        self.seq = 0

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def ask(self, text: str) -> str:
        frame = f"{text}AY{self.seq}AZ"
        self.seq = (self.seq + 1) % 10
        self.writer.write((frame + checksum(frame) + "\r").encode())
        return (await self.reader.readuntil(b"\r")).decode()[:-1]

    async def close(self) -> None:
        self.writer.close()


async def drive_sip(port: int, devices: list[str], patrons: list[str], seconds: float, server):
    clients = len(devices)
    kiosks = [Kiosk(port) for _ in range(clients)]
    for k in kiosks:
        await k.open()
        assert (await k.ask(f"9300CN{KIOSK}|CO{KIOSK_PASSWORD}|CPMAIN|")).startswith("941")
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[str] = []
    start = asyncio.Event()
    stop_at = 0.0

    def frames(i: int) -> tuple[str, str]:
        out = f"11NN{TODAY}{BLANK}AOMAIN|AA{patrons[i]}|AB{devices[i]}|"
        back = f"09N{TODAY}{TODAY}APMAIN|AOMAIN|AB{devices[i]}|"
        return out, back

    for i, k in enumerate(kiosks):  # warm-up, not counted
        for text in frames(i):
            await k.ask(text)

    async def client(i: int) -> None:
        kiosk, mine = kiosks[i], latencies[i]
        await start.wait()
        clock = time.perf_counter
        while clock() < stop_at:
            for text in frames(i):
                t0 = clock()
                reply = await kiosk.ask(text)
                mine.append(clock() - t0)
                if parse(reply).fixed.get("ok") != "1":
                    errors.append(reply[:200])
                    if len(errors) > 100:
                        raise RuntimeError("too many refusals: " + "\n".join(errors[:5]))

    tasks = [asyncio.ensure_future(client(i)) for i in range(clients)]
    await asyncio.sleep(0)
    cpu_before = server.cpu_seconds()
    began = time.perf_counter()
    stop_at = began + seconds
    start.set()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - began
    server_cpu = server.cpu_seconds() - cpu_before
    for k in kiosks:
        await k.close()
    flat = sorted(x * 1000 for per in latencies for x in per)
    return circ.Side(
        name="lending checkout+checkin (SIP2 transactions)",
        clients=clients,
        seconds=round(elapsed, 2),
        count=len(flat),
        per_second=len(flat) / elapsed,
        p50_ms=circ.percentile(flat, 50),
        p99_ms=circ.percentile(flat, 99),
        mean_ms=statistics.fmean(flat) if flat else float("nan"),
        errors=len(errors),
        extra={
            "server_cpu_ms_per_transaction": 1000 * server_cpu / max(1, len(flat)),
            "first_errors": errors[:5],
        },
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--pg-url", default=circ.DEFAULT_PG_URL)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "sip2.json")
    args = parser.parse_args(argv)
    db = f"lending_bench_sip_{uuid.uuid4().hex[:8]}"
    workdir = Path(tempfile.mkdtemp(prefix="lending-bench-sip-"))
    server = None
    created = False
    try:
        asyncio.run(circ.pg_admin(args.pg_url, f"CREATE DATABASE {db}"))
        created = True
        url = circ.database_url(args.pg_url, db)
        circ.lending("migrate", url=url, cwd=workdir)
        sip_port = circ.free_port()
        server = circ.Server(
            url, 1, workdir, env={"LENDING_SIP2_SERVE": "true", "LENDING_SIP2_PORT": str(sip_port)}
        )
        server.wait_healthy()
        token, devices, patrons = circ.seed(server, url, args.clients, workdir)
        circ.lending("sip2", "account", "add", KIOSK, "--password", KIOSK_PASSWORD,
                     "--service-point", "MAIN", url=url, cwd=workdir)  # fmt: skip
        circ.log(f"HTTP: {args.clients} clients, checkout -> checkin for {args.seconds:g} s")
        http = circ.run_fast(circ.drive(server, token, devices, patrons, args.seconds))
        circ.log(f"SIP2: {args.clients} kiosk sessions, 11 -> 09 for {args.seconds:g} s")
        sip = circ.run_fast(drive_sip(sip_port, devices, patrons, args.seconds, server))
        ratio = sip.per_second / http.per_second if http.per_second else float("nan")
        print(f"\nCheckout + checkin over {args.clients} sessions, one server process, PostgreSQL")
        for side in (http, sip):
            print(f"  {side.name:<46} {side.per_second:8.1f}/s  p50 {side.p50_ms:6.1f} ms  "
                  f"p99 {side.p99_ms:6.1f} ms  errors {side.errors}")  # fmt: skip
        print(f"  SIP2 / HTTP: {ratio:.2f}")
        result = {"http": http.__dict__, "sip2": sip.__dict__, "sip_over_http": ratio,
                  "load": circ.load_average()}  # fmt: skip
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
        return 0
    finally:
        if server is not None:
            server.stop()
        if created:
            with contextlib.suppress(Exception):
                asyncio.run(
                    circ.pg_admin(args.pg_url, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
                )
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
