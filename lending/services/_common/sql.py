"""Small helpers for set-based SQL that runs on both SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

from piccolo.columns import Column
from piccolo.columns.combination import WhereRaw
from piccolo.querystring import QueryString

from ...database import current_engine, is_postgres, write_transaction
from ...tables import Loan
from .rows import Row

__all__ = ["contains", "execute", "fetch", "for_update", "ids_in", "json_object", "like_pattern"]


def for_update(query: Any) -> Any:
    """The select, locking the rows of its table on PostgreSQL (SQLite: the write transaction
    already holds the one write lock)."""
    return query.lock_rows(of=(query.table,)) if is_postgres() else query


def json_object(*pairs: str) -> str:
    """SQL building a JSON object from alternating literal keys and SQL expressions."""
    parts = []
    for i in range(0, len(pairs), 2):
        parts.append(f"'{pairs[i]}'")
        parts.append(pairs[i + 1])
    inner = ", ".join(parts)
    return f"json_build_object({inner})" if is_postgres() else f"json_object({inner})"


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with `%`, `_` and the escape character `\\` in
    it matching themselves (used with `ESCAPE '\\'`)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains(text: str, *columns: Column) -> WhereRaw:
    """Rows where any of `columns` contains `text`, ignoring case (ASCII on SQLite); what a person
    types into a search box is matched literally, wildcards included."""
    op = "ILIKE" if is_postgres() else "LIKE"
    parts = [
        f'"{c._meta.table._meta.tablename}"."{c._meta.db_column_name}" {op} {{}} ESCAPE \'\\\''
        for c in columns
    ]
    return WhereRaw("(" + " OR ".join(parts) + ")", *[like_pattern(text)] * len(columns))


def ids_in(column: str, ids: list[int]) -> tuple[str, Any]:
    """`column IN (ids)` as one parameter: an array on PostgreSQL, a JSON list on SQLite."""
    if is_postgres():
        return f"{column} = ANY({{}}::bigint[])", ids
    return f"{column} IN (SELECT value FROM json_each({{}}))", json.dumps(ids)


async def fetch(sql: str, *args: Any) -> list[Row]:
    return await Loan.raw(sql, *args)


async def execute(sql: str, *args: Any) -> int:
    """Run one statement; returns the number of rows it changed. Inside a transaction it uses
    the transaction's connection, so it sees and is part of the same work."""
    engine = current_engine()
    tx = engine.current_transaction.get()
    if tx is None:
        async with write_transaction():
            return await execute(sql, *args)
    if is_postgres():
        compiled, params = QueryString(sql, *args).compile_string("postgres")
        status = await tx.connection.execute(compiled, *params)
        tail = status.rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0
    compiled, params = QueryString(sql, *args).compile_string("sqlite")
    cursor = await tx.connection.execute(compiled, params)
    try:
        return max(cursor.rowcount, 0)
    finally:
        await cursor.close()
