"""`Row`: a database row as Piccolo or asyncpg hands it over (column name to value).

Rows are the facts services load and pass between their own steps; they never leave a
service. What a service returns to an edge is a typed result (a msgspec Struct)."""

from __future__ import annotations

from typing import Any, TypeAlias

__all__ = ["Row"]

Row: TypeAlias = dict[str, Any]
