"""The layers keep to their places: the rules import no framework and no storage, the API
(`lending.http`) and the pages (`lending.web`) never import each other (both read the shared
shapes in `lending.schemas`; `lending.app` puts them together)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "lending"


def _imports(folder: str) -> dict[str, set[str]]:
    """Each module of lending/<folder> and the absolute names of the modules it imports."""
    found = {}
    for path in sorted((PACKAGE / folder).rglob("*.py")):
        parts = ["lending", *path.relative_to(PACKAGE).with_suffix("").parts]
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = parts[: len(parts) - node.level] if node.level else []
                names.add(".".join([*base, node.module or ""]).rstrip("."))
        found[str(path.relative_to(PACKAGE))] = names
    return found


def _offenders(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{module} imports {name}"
        for module, names in _imports(folder).items()
        for name in sorted(names)
        if name.startswith(forbidden)
    ]


def test_the_api_never_imports_the_pages():
    assert _offenders("http", ("lending.web",)) == []


def test_the_pages_never_import_the_api():
    assert _offenders("web", ("lending.http",)) == []


def test_the_rules_import_no_framework_storage_or_service():
    forbidden = ("litestar", "piccolo", "asyncpg", "msgspec", "lending.services", "lending.tables")
    assert _offenders("circulation", forbidden + ("lending.http", "lending.web")) == []


def test_the_shared_shapes_import_neither_edge():
    assert _offenders("schemas", ("lending.http", "lending.web", "litestar")) == []


def test_the_sip2_edge_imports_neither_the_api_nor_the_pages():
    assert _offenders("sip2", ("lending.http", "lending.web")) == []


def test_the_sip2_codec_is_standard_library_only():
    names = _imports("sip2")["sip2/codec.py"]
    assert not [n for n in names if n.startswith(("lending", "litestar", "piccolo", "msgspec"))]
