"""`lending import` and `lending export` as an operator runs them (real processes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

LENDING = str(Path(sys.executable).with_name("lending"))


def run_lending(*args: str, url: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LENDING_DATABASE_URL": url, "LENDING_RUN_JOBS": "0"}
    env.pop("PICCOLO_CONF", None)
    result = subprocess.run(
        [LENDING, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


async def test_cli_import_lists_every_bad_row_imports_nothing_then_imports_and_exports(
    api, db_url, tmp_path
):
    r = await api.client.post(
        "/api/branches", json={"code": "MAIN", "name": "Main"}, headers=api.headers["admin"]
    )
    assert r.status_code == 201
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "barcode,kind,model,serial_number,branch\n"
        "D1,hotspot,M,S1,MAIN\n"
        "D2,toaster,M,S2,MAIN\n"
        "D3,hotspot,M,S3,NOWHERE\n"
    )
    result = run_lending("import", "devices", str(bad), url=db_url, check=False)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "Nothing was imported" in result.stderr
    assert "line 3, kind: must be one of" in result.stderr
    assert "line 4, branch: no branch with code 'NOWHERE'" in result.stderr

    good = tmp_path / "good.csv"
    good.write_text(
        "barcode,kind,model,serial_number,branch\nD1,hotspot,M,S1,MAIN\nD2,laptop,M,S2,MAIN\n"
    )
    done = run_lending("import", "devices", str(good), url=db_url)
    assert "Imported devices from" in done.stdout and "2 created" in done.stdout
    assert "writing" in done.stderr and "2/2 rows 100%" in done.stderr  # the progress bar

    out = tmp_path / "devices.csv"
    exported = run_lending("export", "devices", "-o", str(out), url=db_url)
    assert "Exported" in exported.stderr
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("barcode,kind,model") and len(lines) == 3
