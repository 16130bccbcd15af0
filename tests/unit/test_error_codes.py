"""The one registry of error codes (lending/circulation/codes.py): every raise site names a
registered code whose status is the one it is raised with, and the README shows the registry."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from lending.circulation import Conflict, LendingError, NotFound
from lending.circulation.codes import ERRORS, Code, markdown_table

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
START, END = "<!-- error-codes:start -->", "<!-- error-codes:end -->"
STATUS_OF = {
    "NotFound": 404,
    "Conflict": 409,
    "Refusal": 409,
    "Forbidden": 403,
    "refuse": 422,
}


def _raise_sites() -> list[tuple[str, int, str, ast.expr]]:
    """(file, line, what is raised, the code argument) for every error built with a code."""
    sites = []
    for path in sorted((ROOT / "lending").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign) and any(
                getattr(t, "attr", None) in ("code", "default_code")
                or getattr(t, "id", None) == "default_code"
                for t in node.targets
            ):
                sites.append((str(path.relative_to(ROOT)), node.lineno, "code =", node.value))
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = getattr(func, "id", None) or getattr(func, "attr", None)
            arg = None
            if name in ("NotFound", "Conflict", "Forbidden", "LendingError", "TooManyAttempts"):
                arg = node.args[1] if len(node.args) >= 2 else None
                arg = next((k.value for k in node.keywords if k.arg == "code"), arg)
            elif name == "Refusal" and node.args:
                arg = node.args[0]
            elif name == "problem" and len(node.args) >= 2:
                arg = node.args[1]
            elif name == "refuse" and len(node.args) >= 3:
                arg = node.args[2]
            if arg is not None:
                sites.append((str(path.relative_to(ROOT)), node.lineno, name, arg))
    return sites


def test_every_raise_site_names_a_registered_code_not_a_free_string():
    free = [
        f"{file}:{line} {name}({ast.unparse(arg)})"
        for file, line, name, arg in _raise_sites()
        if isinstance(arg, ast.Constant)
    ]
    assert free == [], "use a Code member (lending/circulation/codes.py):\n" + "\n".join(free)


def test_a_code_is_raised_with_the_status_the_registry_gives_it():
    wrong = []
    for file, line, name, arg in _raise_sites():
        if name not in STATUS_OF or not (
            isinstance(arg, ast.Attribute) and getattr(arg.value, "id", "").endswith("Code")
        ):
            continue
        code = Code[arg.attr]
        if ERRORS[code].status != STATUS_OF[name]:
            wrong.append(f"{file}:{line} {name} with {code.value} ({ERRORS[code].status})")
    assert wrong == []


def test_every_code_has_a_status_and_a_meaning():
    assert set(ERRORS) == set(Code)
    assert all(info.meaning.endswith(".") and 400 <= info.status < 600 for info in ERRORS.values())


def test_an_unregistered_code_cannot_be_raised():
    with pytest.raises(ValueError):
        Conflict("Refused.", "no_such_code")
    assert NotFound("No device.", Code.DEVICE_NOT_FOUND).code == "device_not_found"
    assert LendingError("Bad.").code is Code.BAD_REQUEST


def test_the_readme_shows_the_error_codes_as_the_registry_has_them():
    text = README.read_text(encoding="utf-8")
    block = re.search(re.escape(START) + r"\n(.*?)" + re.escape(END), text, re.S)
    assert block, f"README.md needs the error-code table between {START} and {END}"
    assert block.group(1) == markdown_table()
