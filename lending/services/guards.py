"""Recognising the database's own guards (unique indexes) so they map to clear refusals."""

from __future__ import annotations

import sqlite3

__all__ = ["unique_violation"]


def unique_violation(exc: BaseException) -> bool:
    try:
        from asyncpg.exceptions import UniqueViolationError
    except ImportError:  # pragma: no cover - asyncpg is a dependency
        UniqueViolationError = ()  # type: ignore[assignment]  # noqa: N806
    if isinstance(exc, UniqueViolationError):
        return True
    return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)
