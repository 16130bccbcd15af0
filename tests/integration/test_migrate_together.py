"""Two `lending migrate` processes started at the same moment on one database (as two instances
of a rolling upgrade would): both exit 0, one waits for the other's lock, and the schema is
complete."""

from __future__ import annotations

import os
import subprocess

import pytest
from test_cli import LENDING, new_database, sql


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_two_migrates_at_once_both_succeed_and_leave_the_schema_complete(kind, tmp_path):
    with new_database(kind, tmp_path) as url:
        env = {**os.environ, "LENDING_DATABASE_URL": url, "LENDING_RUN_JOBS": "0"}
        env.pop("PICCOLO_CONF", None)
        both = [
            subprocess.Popen([LENDING, "migrate"], env=env, cwd=tmp_path, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)
        ]  # fmt: skip
        results = [(p.wait(timeout=180), *p.communicate()) for p in both]
        assert [r[0] for r in results] == [0, 0], results
        applied = sorted(int(r[1].split("(")[1].split(" ")[0]) for r in results)
        assert applied[0] == 0 and applied[1] > 0  # one did the work, the other found none
        names = {row[0] for row in sql(url, "SELECT name FROM migration")}
        assert len(names) == applied[1]
        assert sql(url, "SELECT COUNT(*) FROM reservation")[0][0] == 0
