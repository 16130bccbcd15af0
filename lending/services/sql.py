"""Small helpers for set-based SQL that runs on both SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

from ..database import is_postgres
from ..tables import Loan

__all__ = ["execute", "fetch", "ids_in", "json_object"]


def json_object(*pairs: str) -> str:
    """SQL building a JSON object from alternating literal keys and SQL expressions."""
    parts = []
    for i in range(0, len(pairs), 2):
        parts.append(f"'{pairs[i]}'")
        parts.append(pairs[i + 1])
    inner = ", ".join(parts)
    return f"json_build_object({inner})" if is_postgres() else f"json_object({inner})"


def ids_in(column: str, ids: list[int]) -> tuple[str, Any]:
    """`column IN (ids)` as one parameter: an array on PostgreSQL, a JSON list on SQLite."""
    if is_postgres():
        return f"{column} = ANY({{}}::bigint[])", ids
    return f"{column} IN (SELECT value FROM json_each({{}}))", json.dumps(ids)


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    return await Loan.raw(sql, *args)


async def execute(sql: str, *args: Any) -> None:
    await Loan.raw(sql, *args)
