"""What a short transaction works with, on any backend: a `Session` that runs Core statements
and returns `Rows`. SQLite implements it on its writer thread (sqlite_direct.py); elsewhere
`EngineSession` wraps a SQLAlchemy connection (run through `AsyncConnection.run_sync`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.sql.base import Executable

Values = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Rows:
    """A statement's result rows (already type-processed), and its rowcount when known."""

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    rowcount: int = -1

    def first(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None

    def scalar(self) -> Any:
        """The first column of the first row, or None."""
        return self.rows[0][0] if self.rows else None

    def scalars(self) -> list[Any]:
        return [row[0] for row in self.rows]


class Session(Protocol):
    """Runs Core statements inside one open transaction, synchronously."""

    def execute(self, statement: Executable, values: Values | None = None) -> Rows: ...

    def executemany(self, statement: Executable, rows: Sequence[Values]) -> None: ...


def result_rows(result: sa.CursorResult[Any]) -> Rows:
    rows = [tuple(r) for r in result] if result.returns_rows else []
    return Rows(rows, result.rowcount if not result.returns_rows else len(rows))


class EngineSession:
    """`Session` over a (sync) SQLAlchemy connection, e.g. inside `run_sync` on PostgreSQL."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn

    def execute(self, statement: Executable, values: Values | None = None) -> Rows:
        return result_rows(self.conn.execute(statement, dict(values) if values else None))

    def executemany(self, statement: Executable, rows: Sequence[Values]) -> None:
        if rows:
            self.conn.execute(statement, [dict(r) for r in rows])
