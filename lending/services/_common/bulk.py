"""Set-based writes of many rows at once, on both engines: the rows travel as one parameter per
column (PostgreSQL arrays through `unnest`) or one JSON document (SQLite `json_each`), so
50,000 rows are a handful of statements, not 50,000."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ...database import is_postgres
from .rows import Row
from .sql import execute, fetch

__all__ = ["BATCH", "fetch_by_keys", "insert_rows", "rows_source", "update_rows"]

BATCH = 10_000

Columns = Sequence[tuple[str, str]]  # (name, PostgreSQL type)


def rows_source(columns: Columns, rows: Sequence[Sequence[Any]]) -> tuple[str, list[Any]]:
    """A SELECT yielding `rows` with `columns` as names, and its parameters."""
    names = ", ".join(name for name, _ in columns)
    if is_postgres():
        arrays = ", ".join(f"{{}}::{kind}[]" for _, kind in columns)
        params = [list(col) for col in zip(*rows, strict=True)] if rows else [[] for _ in columns]
        return f"SELECT * FROM unnest({arrays}) AS v({names})", params
    picks = ", ".join(
        f"json_extract(value, '$[{i}]') AS {name}" for i, (name, _) in enumerate(columns)
    )
    return f"SELECT {picks} FROM json_each({{}})", [json.dumps(list(rows), default=str)]


def _cast(column: str, kind: str) -> str:
    if kind == "json":
        return f"CAST(v.{column} AS json)" if is_postgres() else f"v.{column}"
    return f"v.{column}"


async def insert_rows(table: str, columns: Columns, rows: Sequence[Sequence[Any]]) -> int:
    done = 0
    names = ", ".join(name for name, _ in columns)
    picks = ", ".join(_cast(name, kind) for name, kind in columns)
    for start in range(0, len(rows), BATCH):
        source, params = rows_source(
            [(n, "text" if k == "json" else k) for n, k in columns], rows[start : start + BATCH]
        )
        done += await execute(
            f"INSERT INTO {table} ({names}) SELECT {picks} FROM ({source}) AS v", *params
        )
    return done


async def update_rows(
    table: str,
    key: tuple[str, str],
    columns: Columns,
    rows: Sequence[Sequence[Any]],
    keep_when_null: Sequence[str] = (),
) -> int:
    """UPDATE `table` from `rows` (the key first, then `columns`), matching on the key.
    Columns in `keep_when_null` keep their stored value where the row gives NULL."""
    sets = ", ".join(
        f"{name} = COALESCE(v.{name}, {table}.{name})"
        if name in keep_when_null
        else f"{name} = v.{name}"
        for name, _ in columns
    )
    done = 0
    for start in range(0, len(rows), BATCH):
        source, params = rows_source([key, *columns], rows[start : start + BATCH])
        done += await execute(
            f"UPDATE {table} SET {sets} FROM ({source}) AS v WHERE {table}.{key[0]} = v.{key[0]}",
            *params,
        )
    return done


async def fetch_by_keys(select_sql: str, column: str, keys: Sequence[str]) -> list[Row]:
    """Rows of `select_sql` (which ends in a WHERE clause or has none: ` AND ...` is added)
    whose `column` is one of `keys`, in batches."""
    out: list[dict[str, Any]] = []
    joiner = " AND " if " WHERE " in select_sql.upper() else " WHERE "
    for start in range(0, len(keys), BATCH):
        chunk = list(keys[start : start + BATCH])
        if is_postgres():
            out += await fetch(f"{select_sql}{joiner}{column} = ANY({{}}::text[])", chunk)
        else:
            out += await fetch(
                f"{select_sql}{joiner}{column} IN (SELECT value FROM json_each({{}}))",
                json.dumps(chunk),
            )
    return out
