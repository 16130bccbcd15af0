"""Recognising the database's own guards (unique indexes) so they map to clear refusals."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from ...circulation import LendingError

__all__ = ["duplicate_is", "unique_violation"]


def unique_violation(exc: BaseException) -> bool:
    try:
        from asyncpg.exceptions import UniqueViolationError
    except ImportError:  # pragma: no cover - asyncpg is a dependency
        UniqueViolationError = ()  # type: ignore[assignment]  # noqa: N806
    if isinstance(exc, UniqueViolationError):
        return True
    return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)


@contextmanager
def duplicate_is(refusal: LendingError) -> Iterator[None]:
    """Inside this block a unique-index violation (the database guarding against a duplicate,
    even one written by another instance a moment ago) is raised as `refusal`."""
    try:
        yield
    except Exception as exc:
        if unique_violation(exc):
            raise refusal from None
        raise
