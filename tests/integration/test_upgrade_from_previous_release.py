"""Upgrades add before they remove: while a rolling upgrade runs, instances of the previous
release still serve from the schema the new release has migrated.

"The previous release" is the code just before the newest schema change: the parent of the
newest commit that touched lending/piccolo_migrations/ (or HEAD, when the working tree changes
that folder). It comes from the repository's git history; without git or that history the tests
skip, saying why, unless LENDING_CI=1, where they fail.

- The previous release's own checkout and checkin tests run on PostgreSQL (where several
  instances share a database, so a rolling upgrade happens; SQLite outside CI when PostgreSQL
  cannot be reached) against a database migrated by the current `lending migrate`.
- Migrations newer than the previous release drop, rename or tighten nothing the previous
  release still uses.
"""

from __future__ import annotations

import ast
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import previous_release_plugin as plugin
import pytest
from scratch_postgres import REQUIRE_PG, unreachable

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = "lending/piccolo_migrations"
# What the previous release's tests need from its tree.
EXTRACT = ["lending", "tests", "piccolo_conf.py", "pyproject.toml"]
PREVIOUS_TESTS = ["tests/api/test_checkout.py", "tests/api/test_checkin_and_holds.py"]


def _unavailable(reason: str) -> None:
    if os.environ.get("LENDING_CI") == "1":
        pytest.fail(f"{reason} (LENDING_CI=1: the upgrade tests must run)")
    pytest.skip(reason)


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def _git_or_none(*args: str) -> str | None:
    try:
        return _git(*args)
    except subprocess.CalledProcessError:
        return None


def _previous_release() -> str:
    """The commit of the previous release (see the module docstring)."""
    if shutil.which("git") is None:
        _unavailable("git is not installed: cannot find the previous release")
    if _git_or_none("rev-parse", "--git-dir") is None:
        problem = subprocess.run(["git", "-C", str(ROOT), "status"], capture_output=True, text=True)
        _unavailable(f"no git history at {ROOT} ({problem.stderr.strip()}): no previous release")
    if _git("status", "--porcelain", "--", MIGRATIONS):
        return _git("rev-parse", "HEAD")  # this change brings migrations: upgrading from HEAD
    newest = _git("log", "-1", "--format=%H", "--", MIGRATIONS)
    if not newest:
        _unavailable(f"no commit touches {MIGRATIONS}: no previous release to upgrade from")
    parent = _git_or_none("rev-parse", "--verify", "--quiet", f"{newest}^")
    if parent is None:
        shallow = _git("rev-parse", "--is-shallow-repository") == "true"
        _unavailable(
            f"the parent of {newest[:12]} (the newest schema change) is not in the history"
            + (": this is a shallow clone; fetch the whole history" if shallow else "")
        )
    return parent


@pytest.fixture(scope="module")
def previous_release() -> str:
    return _previous_release()


def _migration_ids(folder: Path) -> dict[str, str]:
    """Migration id -> file name, read from the files' `ID = "..."` lines."""
    ids = {}
    for path in sorted(folder.glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if (
                isinstance(node, ast.Assign)
                and [getattr(t, "id", None) for t in node.targets] == ["ID"]
                and isinstance(node.value, ast.Constant)
            ):
                ids[node.value.value] = path.name
    return ids


def _report(output: str, lines: int = 40) -> str:
    """The gist of a pytest run's first failure or error (the old tests' frames, the assertion,
    the exceptions and logged errors), then the run's last line; the tail when there is none."""
    all_lines = output.splitlines()
    header = re.compile(r"^_+ .+ _+$")
    starts = [i for i, line in enumerate(all_lines) if header.match(line)]
    if not starts:
        return "\n".join(all_lines[-lines:])
    end = next(iter(starts[1:]), len(all_lines))
    gist = re.compile(r"^(E |tests/|[\w.]*(Error|Exception)\b.*:|(ERROR|CRITICAL) - )")
    section = all_lines[starts[0] : end]
    kept = [section[0], *(line for line in section[1:] if gist.match(line))][:lines]
    return "\n".join([*kept, "...", *all_lines[-1:]])


def test_the_previous_release_lends_and_takes_back_on_the_migrated_schema(
    previous_release, tmp_path
):
    old = tmp_path / "previous"
    old.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", previous_release, "--", *EXTRACT],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # Python >= 3.11.4
        tar.extractall(old, **safe)
    missing = [t for t in PREVIOUS_TESTS if not (old / t).is_file()]
    assert not missing, (
        f"the previous release ({previous_release[:12]}) has no {', '.join(missing)}: "
        "name its checkout and checkin tests in PREVIOUS_TESTS"
    )

    plugin_dir = tmp_path / "plugin"
    plugin_dir.mkdir()
    plugin_copy = Path(shutil.copy(plugin.__file__, plugin_dir / "previous_release_plugin.py"))
    wrapper = plugin.write_wrapper(tmp_path / "bin" / "lending", plugin_copy)
    log = tmp_path / "upgrade-log.jsonl"

    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PYTEST_") and k not in ("PICCOLO_CONF", "LENDING_DATABASE_URL")
    }
    env.update(
        {
            "PYTHONPATH": os.pathsep.join([str(old), str(plugin_dir)]),
            plugin.CURRENT_ROOT: str(ROOT),
            plugin.PREVIOUS_ROOT: str(old),
            plugin.WRAPPER: str(wrapper),
            plugin.LOG: str(log),
        }
    )
    # A rolling upgrade, old instances serving beside new ones, happens where several
    # instances share one database: PostgreSQL. (A SQLite library has one server, stopped to
    # upgrade.) Where PostgreSQL cannot be reached, outside CI, SQLite stands in for it.
    if unreachable() and not REQUIRE_PG:
        kinds = {"sqlite"}
    else:
        kinds = {"postgres"}
        env["LENDING_REQUIRE_POSTGRES"] = "1"  # never skipped silently
    workers = ["-n", "2"] if importlib.util.find_spec("xdist") else []
    command = [sys.executable, "-m", "pytest", *PREVIOUS_TESTS, "-q", "--tb=short", *workers]
    command += ["-k", next(iter(kinds))]
    command += ["-p", "no:cacheprovider", "-p", "no:warnings", "-p", "previous_release_plugin"]
    try:
        run = subprocess.run(command, cwd=old, env=env, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the previous release's tests took over 900 s:\n{_report(str(exc.stdout))}")
    output, returncode = run.stdout + run.stderr, run.returncode
    where = f"the previous release ({previous_release[:12]}) on the current schema"
    assert returncode == 0, f"{where}: pytest exited {returncode}\n{_report(output)}"
    passed = re.search(r"(\d+) passed", output)
    assert passed and int(passed[1]) > 0, f"{where}: no test passed\n{_report(output)}"

    # The old code ran the tests; the current code migrated each database, to its newest id.
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    testers = {Path(e["lending"]).resolve() for e in entries if e["role"] == "tests"}
    assert testers == {(old / "lending" / "__init__.py").resolve()}, testers
    migrates = [e for e in entries if e["role"] == "migrate"]
    assert {e["kind"] for e in migrates} == kinds, migrates
    current = _migration_ids(ROOT / MIGRATIONS)
    previous = _migration_ids(old / MIGRATIONS)
    gone = sorted(set(previous) - set(current))
    assert not gone, f"migrations of the previous release the current code lacks: {gone}"
    for e in migrates:
        assert e["returncode"] == 0, e
        assert Path(e["lending"]).resolve() == (ROOT / "lending" / "__init__.py").resolve(), e
        assert set(e["applied"]) == set(current), (e["kind"], set(current) - set(e["applied"]))
    newer = sorted(current[i] for i in set(current) - set(previous))
    print(f"{previous_release[:12]}: {passed[0]} on {sorted(kinds)}, after the newer {newer}")


# --- add before remove, read from the newer migrations -------------------------------------------

REMOVING_CALLS = {
    "drop_table": "drops a table",
    "drop_column": "drops a column",
    "rename_table": "renames a table",
    "rename_column": "renames a column",
}
REMOVING_SQL = [
    (re.compile(r"\bDROP\s+(TABLE|COLUMN)\b", re.IGNORECASE), "drops a table or column"),
    (re.compile(r"\bRENAME\b", re.IGNORECASE), "renames"),
    (re.compile(r"\bSET\s+NOT\s+NULL\b", re.IGNORECASE), "makes a column NOT NULL"),
    (
        re.compile(r"\bADD\s+(COLUMN\s+)?(?:(?!\bDEFAULT\b)[^,;])*\bNOT\s+NULL\b", re.IGNORECASE),
        "adds a NOT NULL column without a default",
    ),
]
NAMING = ("tablename", "column_name", "old_column_name", "new_column_name", "new_tablename")


def _params(call: ast.Call) -> dict[str, object] | None:
    """The `params={...}` of a MigrationManager call, when it is written out (else None); a
    value that is not a literal (`TimestamptzNow()`) stays an AST node."""
    for kw in call.keywords:
        if kw.arg == "params" and isinstance(kw.value, ast.Dict):
            return {
                k.value: v.value if isinstance(v, ast.Constant) else v
                for k, v in zip(kw.value.keys, kw.value.values, strict=True)
                if isinstance(k, ast.Constant)
            }
    return None


def _named(call: ast.Call) -> str:
    names = {
        kw.arg: kw.value.value
        for kw in call.keywords
        if kw.arg in NAMING and isinstance(kw.value, ast.Constant)
    }
    return f"{call.func.attr}({', '.join(f'{k}={v!r}' for k, v in names.items())})"


def _created_tables(tree: ast.Module) -> set[str]:
    return {
        kw.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "add_table"
        for kw in node.keywords
        if kw.arg == "tablename" and isinstance(kw.value, ast.Constant)
    }


def removals(path: Path, new_tables: set[str]) -> list[str]:
    """What the forwards steps of one migration file do that the previous release's code could
    trip over: each as `file:line: call or statement: why`. Steps registered with
    add_raw_backwards (and a `backwards` function) undo the migration and are not read; columns
    of `new_tables` (created by the newer migrations, unknown to the previous release) may be
    anything."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    backwards = {"backwards"} | {
        arg.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "add_raw_backwards"
        for arg in node.args
        if isinstance(arg, ast.Name)
    }
    found: list[str] = []

    def say(node: ast.AST, what: str, why: str) -> None:
        found.append(f"{path.name}:{node.lineno}: {what}: {why}")

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in backwards:
            return
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
        skip = first if docstring and isinstance(first.value.value, str) else None  # prose
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attr, params = node.func.attr, _params(node)
            if attr in REMOVING_CALLS:
                say(node, _named(node), REMOVING_CALLS[attr])
            elif attr == "alter_column" and params and params.get("null") is False:
                say(
                    node,
                    _named(node),
                    "makes a column NOT NULL (the previous release may still write NULL; "
                    "Piccolo writes every column, so a default does not help)",
                )
            elif (
                attr == "add_column"
                and params is not None
                and params.get("null") is False
                and params.get("default") is None
                and not any(
                    kw.arg == "tablename"
                    and isinstance(kw.value, ast.Constant)
                    and kw.value.value in new_tables
                    for kw in node.keywords
                )
            ):
                say(
                    node,
                    _named(node),
                    "adds a NOT NULL column without a default (the previous release's inserts "
                    "leave it out)",
                )
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for pattern, why in REMOVING_SQL:
                if pattern.search(node.value):
                    say(node, repr(node.value[:80]), why)
        for child in ast.iter_child_nodes(node):
            if child is not skip:
                visit(child)

    visit(tree)
    return found


def test_migrations_newer_than_the_previous_release_drop_rename_and_tighten_nothing(
    previous_release,
):
    listed = _git("ls-tree", "--name-only", previous_release, "--", f"{MIGRATIONS}/")
    previous = {Path(name).name for name in listed.splitlines()}
    newer = sorted(
        p for p in (ROOT / MIGRATIONS).glob("*.py") if p.name not in previous | {"__init__.py"}
    )
    new_tables = set().union(
        *(_created_tables(ast.parse(p.read_text(encoding="utf-8"))) for p in newer)
    )
    problems = [problem for path in newer for problem in removals(path, new_tables)]
    if problems:
        pytest.fail(
            f"migrations newer than the previous release ({previous_release[:12]}) remove or "
            "tighten what it still uses; while it serves during an upgrade, only add (new tables, "
            "nullable columns or columns with a default, indexes), and remove in a later release:\n"
            + "\n".join(problems),
            pytrace=False,
        )
