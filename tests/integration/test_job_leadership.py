"""Two app instances on one database: only one runs the scheduled jobs, and the other takes over
within a minute when the first dies. Real `lending serve` processes with jobs every few seconds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from scratch_postgres import create_database, drop_database, free_port, pg, run_sync

LENDING = str(Path(sys.executable).with_name("lending"))
JOBS_EVERY_SECONDS = "5"
TAKEOVER_LIMIT_S = 60


async def _pg(sql: str, url: str):
    return await pg(sql, url)


def _env(url: str) -> dict[str, str]:
    env = {**os.environ, "LENDING_DATABASE_URL": url, "LENDING_RUN_JOBS": "1"}
    env.pop("PICCOLO_CONF", None)
    for job in ("due_soon", "overdue", "auto_renew", "mark_lost", "plan_renewals", "anonymize"):
        env[f"LENDING_SCHEDULE_{job.upper()}"] = "off"
    env["LENDING_SCHEDULE_SUSPEND_LINES"] = JOBS_EVERY_SECONDS
    env["LENDING_SCHEDULE_OVERDUE"] = JOBS_EVERY_SECONDS
    env["LENDING_SCHEDULE_DELIVER_NOTICES"] = "off"
    env["LENDING_SCHEDULE_CARRIER_ACTIONS"] = "off"
    env["LENDING_SCHEDULE_EXPIRE_HOLDS"] = "off"
    return env


def _start(url: str, workdir: Path, name: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = (workdir / f"{name}.log").open("wb")
    process = subprocess.Popen(
        [LENDING, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
        env=_env(url),
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, (workdir / f"{name}.log").read_text()
        try:
            if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    pytest.fail(f"{name} did not start")


def _kill(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    process.wait(timeout=15)


@pytest.fixture
def shared_database(tmp_path):
    name, url = create_database("lending_leader")
    env = _env(url)
    for args in (
        ["migrate"],
        ["demo"],
    ):
        done = subprocess.run(
            [LENDING, *args], env=env, cwd=tmp_path, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
    # Put a hotspot line in every hotspot on loan that has none (the demo installs most), and make those loans long overdue.
    run_sync(
        _pg(
            "INSERT INTO service_line (iccid, msisdn, carrier, status, device, created_at, updated_at) "
            "SELECT '8901' || lpad(d.id::text, 15, '0'), '+1555' || lpad(d.id::text, 7, '0'), "
            "'T-Mobile', 'active', d.id, now(), now() FROM device d "
            "WHERE d.kind = 'hotspot' AND d.status = 'on_loan' "
            "AND NOT EXISTS (SELECT 1 FROM service_line l WHERE l.device = d.id)",
            url,
        )
    )
    run_sync(_pg("UPDATE loan SET due_at = now() - interval '10 days'", url))
    yield url, tmp_path
    drop_database(name)


def _runs(url: str) -> list[dict]:
    """The scheduled runs (the demo's own runs while seeding are not the instances')."""
    sql = "SELECT job, instance FROM job_run WHERE trigger = 'schedule' ORDER BY id"
    return [dict(r) for r in run_sync(_pg(sql, url))]


def _poll(check, within_s: float, every_s: float = 0.25):
    """Call `check` until it returns something truthy or `within_s` seconds pass; returns its
    last value (falsy when the deadline passed)."""
    deadline = time.monotonic() + within_s
    while True:
        value = check()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(every_s)


ROUNDS_WITH_BOTH_UP = 3  # job rounds recorded while both instances run


def test_only_one_of_two_instances_runs_jobs_and_the_other_takes_over_when_it_dies(
    shared_database,
):
    url, workdir = shared_database
    first, _ = _start(url, workdir, "first")
    assert _poll(lambda: _runs(url), within_s=30), "the first instance ran no job"
    second, _ = _start(url, workdir, "second")
    try:
        before = len(_runs(url))
        rounds = int(JOBS_EVERY_SECONDS) * (ROUNDS_WITH_BOTH_UP + 2)

        def enough_rounds():  # two jobs (suspend_lines, overdue) run each round
            runs = _runs(url)
            return runs if len(runs) >= before + 2 * ROUNDS_WITH_BOTH_UP else None

        runs = _poll(enough_rounds, within_s=rounds)
        assert runs, f"fewer than {ROUNDS_WITH_BOTH_UP} job rounds ran with both instances up"
        leaders = {r["instance"] for r in runs}
        assert len(leaders) == 1, f"both instances ran jobs: {leaders}"
        (leader,) = leaders
        notices = run_sync(
            _pg(
                "SELECT kind, loan, stage, count(*) AS n FROM notice "
                "GROUP BY kind, loan, stage HAVING count(*) > 1",
                url,
            )
        )
        assert notices == [], "a notice was queued twice"
        suspends = run_sync(
            _pg(
                "SELECT line, count(*) AS n FROM carrier_action "
                "WHERE action = 'suspend' GROUP BY line",
                url,
            )
        )
        assert suspends and all(r["n"] == 1 for r in suspends), "a line was suspended twice"

        leader_pid = int(leader.rsplit(":", 1)[1])
        dying = first if leader_pid in _pids(first) else second
        survivor = second if dying is first else first
        _kill(dying)
        killed_at = time.monotonic()
        seen = len(runs)

        def taken_over():
            fresh = _runs(url)[seen:]
            if {r["instance"] for r in fresh} - {leader}:
                return time.monotonic() - killed_at
            return None

        takeover = _poll(taken_over, within_s=TAKEOVER_LIMIT_S + 10)
        assert takeover is not None, "no instance took over the jobs"
        assert takeover <= TAKEOVER_LIMIT_S
        assert survivor.poll() is None
    finally:
        for process in (first, second):
            _kill(process)


def _pids(process: subprocess.Popen) -> set[int]:
    """The server process and its children (uvicorn may run the app in a child)."""
    pids = {process.pid}
    try:
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(process.pid)], capture_output=True, text=True
        )
        pids |= {int(p) for p in out.stdout.split()}
    except OSError:
        pass
    return pids
