"""Response shapes of a CSV import (`POST /api/imports/{kind}`), built by
lending.services.data.imports."""

from __future__ import annotations

from .base import Out

__all__ = ["ChangeOut", "ImportCounts", "ImportOut"]


class ChangeOut(Out):
    line: int
    key: str
    change: str  # created, updated
    columns: list[str]


class ImportCounts(Out):
    """Rows of the file that are new, changed, or the same as stored."""

    created: int
    updated: int
    unchanged: int


class ImportOut(Out):
    kind: str
    dry_run: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    changes: list[ChangeOut]
    changes_not_listed: int
