"""`lending check` as an operator runs it on the demo library: nothing to report, then a planted
inconsistency listed with its row and exit status 1, repaired by `--fix` (exit 0), and the
dashboard showing the last check."""

from __future__ import annotations

import sqlite3

from test_cli import lending, succeeded


def test_check_lists_an_inconsistency_exits_1_and_fix_repairs_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'lending.sqlite3'}"
    succeeded(lending("migrate", url=url, cwd=tmp_path))
    succeeded(lending("demo", url=url, cwd=tmp_path))
    assert "checks passed" in succeeded(lending("check", url=url, cwd=tmp_path))
    with sqlite3.connect(tmp_path / "lending.sqlite3") as db:
        barcode = db.execute(
            "SELECT barcode FROM device WHERE status = 'available' ORDER BY id LIMIT 1"
        ).fetchone()[0]
        db.execute("UPDATE device SET status = 'on_hold_shelf' WHERE barcode = ?", (barcode,))
    found = lending("check", url=url, cwd=tmp_path)
    assert found.returncode == 1, found.stderr
    assert "shelf_device_without_ready_hold" in found.stdout and barcode in found.stdout
    assert "--fix would" in found.stdout
    fixed = lending("check", "--fix", url=url, cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "repaired" in fixed.stdout
    assert "checks passed" in succeeded(lending("check", url=url, cwd=tmp_path))
    with sqlite3.connect(tmp_path / "lending.sqlite3") as db:
        status = db.execute("SELECT status FROM device WHERE barcode = ?", (barcode,)).fetchone()
        runs = db.execute("SELECT job, error FROM job_run WHERE job LIKE 'check%' ORDER BY id")
        assert status[0] in ("available", "on_hold_shelf")
        jobs = runs.fetchall()
    assert [j for j, _ in jobs] == ["check", "check", "check_fix", "check"]
    assert jobs[1][1].startswith("1 inconsistencies") and jobs[-1][1] == ""
