"""The bridge between the previous release's tests and the current code's `lending migrate`.

test_upgrade_from_previous_release.py extracts the previous release into a folder and runs its
own tests there with `-p previous_release_plugin`. This module plays two parts:

- As a pytest plugin (in the previous release's pytest): the old tests/conftest.py migrates its
  session databases with `run_lending("migrate", ...)`, which runs the module global `LENDING`.
  The plugin points `LENDING` at the wrapper script named by LENDING_UPGRADE_LENDING, so those
  databases get the CURRENT schema while every test runs the OLD code. It logs which `lending`
  package the old tests imported.
- As a script (the wrapper runs `python previous_release_plugin.py ARGS`): `migrate` runs the
  current code's command (imported from LENDING_UPGRADE_CURRENT_ROOT) and logs which package
  migrated and which migration ids the database then holds; any other command goes on to the
  previous release's own `lending`.

The log (LENDING_UPGRADE_LOG) holds one JSON object a line, for the test to check afterwards.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

CURRENT_ROOT = "LENDING_UPGRADE_CURRENT_ROOT"  # the current checkout (its `lending` migrates)
PREVIOUS_ROOT = "LENDING_UPGRADE_PREVIOUS_ROOT"  # the extracted previous release
WRAPPER = "LENDING_UPGRADE_LENDING"  # the script the old conftest's LENDING becomes
LOG = "LENDING_UPGRADE_LOG"
PREVIOUS_LENDING = "LENDING_UPGRADE_PREVIOUS_LENDING"  # what LENDING was (set by the plugin)

_patched: list[str] = []


def write_wrapper(dest: Path, plugin: Path) -> Path:
    """An executable `lending` that runs `plugin` (a copy of this file) as a script."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(
        f'#!/bin/sh\nexec {shlex.quote(sys.executable)} {shlex.quote(str(plugin))} "$@"\n',
        encoding="utf-8",
    )
    dest.chmod(0o755)
    return dest


def _log(entry: dict[str, Any]) -> None:
    line = json.dumps(entry) + "\n"
    with open(os.environ[LOG], "a", encoding="utf-8") as f:
        f.write(line)  # one short write per line: lines from parallel processes do not mix


# --- the pytest plugin --------------------------------------------------------------------------


def _is_previous_root_conftest(plugin: object) -> bool:
    file = getattr(plugin, "__file__", None)
    if not file:
        return False
    expected = Path(os.environ[PREVIOUS_ROOT], "tests", "conftest.py").resolve()
    return Path(file).resolve() == expected


def pytest_configure(config) -> None:
    import lending

    _log({"role": "tests", "pid": os.getpid(), "lending": lending.__file__})


def pytest_plugin_registered(plugin, plugin_name, manager) -> None:
    if not _is_previous_root_conftest(plugin):
        return
    if not (hasattr(plugin, "LENDING") and hasattr(plugin, "run_lending")):
        return  # pytest_collection_finish says so
    if os.environ[WRAPPER] != plugin.LENDING:
        os.environ[PREVIOUS_LENDING] = plugin.LENDING
        plugin.LENDING = os.environ[WRAPPER]
    _patched.append(plugin.__file__)


def pytest_collection_finish(session) -> None:
    if session.items and not _patched:
        import pytest

        raise pytest.UsageError(
            "previous_release_plugin: the previous release's tests/conftest.py has no LENDING and "
            "run_lending to point at the current `lending migrate`; adapt the plugin to how its "
            "fixtures migrate now."
        )


# --- the wrapper script -------------------------------------------------------------------------


def _applied_migrations(url: str) -> list[str]:
    query = "SELECT name FROM migration WHERE app_name = 'lending' ORDER BY name"
    if url.startswith("sqlite:///"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return [row[0] for row in conn.execute(query)]
    import asyncio

    import asyncpg

    async def fetch() -> list[str]:
        conn = await asyncpg.connect(url)
        try:
            return [row[0] for row in await conn.fetch(query)]
        finally:
            await conn.close()

    return asyncio.run(fetch())


def run_current_lending(argv: list[str]) -> int:
    if argv[:1] != ["migrate"]:
        previous = os.environ[PREVIOUS_LENDING]
        os.execv(previous, [previous, *argv])
    root = Path(os.environ[CURRENT_ROOT]).resolve()
    sys.path.insert(0, str(root))
    import lending
    from lending.cli import main

    if not Path(lending.__file__).resolve().is_relative_to(root):
        print(f"previous_release_plugin: imported {lending.__file__}, not {root}", file=sys.stderr)
        return 3
    url = os.environ["LENDING_DATABASE_URL"]
    rc = main(argv)
    _log(
        {
            "role": "migrate",
            "kind": "sqlite" if url.startswith("sqlite") else "postgres",
            "lending": lending.__file__,
            "returncode": rc,
            "applied": _applied_migrations(url) if rc == 0 else [],
        }
    )
    return rc


if __name__ == "__main__":
    sys.exit(run_current_lending(sys.argv[1:]))
