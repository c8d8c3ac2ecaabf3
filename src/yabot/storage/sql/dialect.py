"""The one place that picks the dialect's `INSERT` (for `ON CONFLICT` clauses)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def dialect_insert(table: sa.Table, dialect: str) -> Any:
    """`sqlite.insert(table)` or `postgresql.insert(table)`: both have `on_conflict_do_*`."""
    if dialect == "sqlite":
        return sqlite.insert(table)
    if dialect == "postgresql":
        return postgresql.insert(table)
    raise ValueError(f"unsupported SQL dialect {dialect!r}")


def insert_for(conn: AsyncConnection | sa.Connection, table: sa.Table) -> Any:
    """The dialect `INSERT` for the backend `conn` talks to."""
    return dialect_insert(table, conn.dialect.name)
