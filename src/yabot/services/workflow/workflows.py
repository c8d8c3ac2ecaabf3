"""Saga state in the `workflows` table, and the crash-injection checkpoint used by tests.

A row is one open saga, keyed `<kind>:<user_id>`, in state `started` or `compensating`.
Finishing or undoing a saga deletes its row; conditional updates make the two exclusive.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.domain.errors import YabotError
from yabot.services.users.rows import upsert_dialect
from yabot.storage.sql.database import Database
from yabot.storage.sql.tables import workflows

CRASH_ENV, FAIL_ENV = "YABOT_CRASH_AT", "YABOT_FAIL_AT"
_W = workflows.c


class InjectedFailure(YabotError):
    """Raised at the step named by YABOT_FAIL_AT (fault-injection tests only)."""


def checkpoint(step: str) -> None:
    """Test hook: SIGKILL this process at the step named by YABOT_CRASH_AT, or raise
    InjectedFailure at the one named by YABOT_FAIL_AT. Unset (production): no effect."""
    if os.environ.get(CRASH_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(FAIL_ENV) == step:
        raise InjectedFailure(f"injected failure at {step}")


@dataclass(frozen=True, kw_only=True)
class WorkflowRow:
    kind: str
    user_id: str
    state: str
    data: str
    attempts: int


def workflow_id(kind: str, user_id: str) -> str:
    return f"{kind}:{user_id}"


class Workflows:
    """The `workflows` table: start, move state conditionally, finish, list open ones."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def insert(self, conn: AsyncConnection, kind: str, user_id: str, data: str) -> bool:
        """Open a saga in `conn`'s transaction; False when one is already open."""
        now = datetime.now(UTC)
        stmt = (upsert_dialect(self.db)(workflows).values(
            id=workflow_id(kind, user_id), kind=kind, user_id=user_id, state="started",
            data=data, created_at=now, updated_at=now)
            .on_conflict_do_nothing().returning(_W.id))
        return (await conn.execute(stmt)).first() is not None

    async def start(self, kind: str, user_id: str, data: str) -> bool:
        async with self.db.write() as conn:
            return await self.insert(conn, kind, user_id, data)

    async def get(self, kind: str, user_id: str) -> WorkflowRow | None:
        async with self.db.read() as conn:
            row = (await conn.execute(sa.select(_W.kind, _W.user_id, _W.state, _W.data,
                                                _W.attempts)
                                      .where(_W.id == workflow_id(kind, user_id)))).first()
        return None if row is None else WorkflowRow(**row._mapping)

    async def transition(self, kind: str, user_id: str, old: str, new: str) -> bool:
        """Move `old` → `new`; False when the saga is not in `old` (someone else moved it)."""
        async with self.db.write() as conn:
            result = await conn.execute(
                workflows.update().where(_W.id == workflow_id(kind, user_id), _W.state == old)
                .values(state=new, attempts=_W.attempts + 1, updated_at=datetime.now(UTC))
                .returning(_W.id))
            return result.first() is not None

    @staticmethod
    async def finish(conn: AsyncConnection, kind: str, user_id: str, state: str) -> bool:
        """Delete the row if it is in `state`, in `conn`'s transaction; False otherwise."""
        result = await conn.execute(
            workflows.delete().where(_W.id == workflow_id(kind, user_id), _W.state == state)
            .returning(_W.id))
        return result.first() is not None

    async def remove(self, kind: str, user_id: str, state: str) -> bool:
        async with self.db.write() as conn:
            return await self.finish(conn, kind, user_id, state)

    async def open(self, *, min_age: float = 0, limit: int = 1000) -> list[WorkflowRow]:
        """Open sagas untouched for `min_age` seconds, oldest first."""
        cutoff = datetime.now(UTC) - timedelta(seconds=min_age)
        async with self.db.read() as conn:
            rows = (await conn.execute(
                sa.select(_W.kind, _W.user_id, _W.state, _W.data, _W.attempts)
                .where(_W.updated_at <= cutoff)
                .order_by(_W.created_at, _W.id).limit(limit))).all()
        return [WorkflowRow(**r._mapping) for r in rows]
