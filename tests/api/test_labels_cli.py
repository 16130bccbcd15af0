"""`lending labels` as an operator runs it: a real process on the test database (SQLite and
PostgreSQL). A refused run writes no file, leaves no temporary file and changes no flag."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from barcode_reader import pdf_pages, read_image

LENDING = str(Path(sys.executable).with_name("lending"))


def run_lending(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LENDING_DATABASE_URL": url, "LENDING_RUN_JOBS": "0"}
    env.pop("PICCOLO_CONF", None)
    return subprocess.run(
        [LENDING, *args], env=env, capture_output=True, text=True, timeout=120,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


async def needs_label(desk) -> dict[str, bool]:
    r = await desk.client.get("/api/devices", params={"limit": 500}, headers=desk.desk)
    return {d["barcode"]: d["needs_label"] for d in r.json()["items"]}


async def test_the_command_prints_the_queue_from_a_start_position_and_clears_it(
    desk, db_url, tmp_path
):
    out = tmp_path / "today.pdf"

    done = run_lending(
        "labels", "--needs-label", "--kind", "hotspot", "--start-at", "29", "--progress",
        "-o", str(out), url=db_url,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "Wrote 3 label(s), 2 page(s)" in done.stdout
    assert "labels [" in done.stderr and "3/3" in done.stderr  # the progress bar
    pages = pdf_pages(out.read_bytes(), 150)
    assert [sorted(r.text for r in read_image(p, 150)) for p in pages] == [
        ["DEV001", "DEV002"],
        ["DEV003"],
    ]
    assert await needs_label(desk) == {"DEV001": False, "DEV002": False, "DEV003": False,
                                       "DEV004": True, "DEV005": True}  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["today.pdf"]


async def test_a_refused_run_writes_nothing_and_says_why(desk, db_url, tmp_path):
    out = tmp_path / "labels.pdf"
    runs = [
        (["--barcode", "DEV001", "--barcode", "NOPE"], 1, "No device with barcode 'NOPE'"),
        (["--all", "--symbology", "codabar"], 2, "Codabar takes digits"),
    ]
    for args, status, message in runs:
        done = run_lending("labels", *args, "-o", str(out), url=db_url)
        assert done.returncode == status, done.stderr
        assert message in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []
    assert set((await needs_label(desk)).values()) == {True}
