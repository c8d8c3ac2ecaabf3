"""Workflow state: open sagas (`workflows`), scheduled job runs (`scheduled_jobs`) and the
once-per-message reaction rewards (`reaction_rewards`)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from yabot.domain.clock import utcnow
from yabot.domain.views import WorkflowRow
from yabot.storage.sql.database import Database
from yabot.storage.sql.dialect import insert_for
from yabot.storage.sql.repositories import economy_progress
from yabot.storage.sql.repositories.base import OwnTransaction, Transaction
from yabot.storage.sql.tables import (
    reaction_rewards,
    scheduled_jobs,
    user_profiles,
    workflows,
)

_W = workflows.c
_J = scheduled_jobs.c
_ROW = (_W.kind, _W.user_id, _W.state, _W.data, _W.attempts)


def workflow_id(kind: str, user_id: str) -> str:
    return f"{kind}:{user_id}"


class SagaRepository:
    """Implements `services.workflow.ports.SagaStore`: one row per open saga, keyed
    `<kind>:<user_id>`; conditional updates make finishing and undoing exclusive."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def insert(self, tx: Transaction, kind: str, user_id: str, data: str) -> bool:
        """Open a saga in `tx`; False when one is already open."""
        now = utcnow()
        stmt = (insert_for(tx.conn, workflows).values(
            id=workflow_id(kind, user_id), kind=kind, user_id=user_id, state="started",
            data=data, created_at=now, updated_at=now)
            .on_conflict_do_nothing().returning(_W.id))
        return (await tx.conn.execute(stmt)).first() is not None

    async def start(self, kind: str, user_id: str, data: str) -> bool:
        async with self.db.write() as conn:
            return await self.insert(OwnTransaction(conn), kind, user_id, data)

    async def get(self, kind: str, user_id: str) -> WorkflowRow | None:
        async with self.db.read() as conn:
            row = (await conn.execute(sa.select(*_ROW)
                                      .where(_W.id == workflow_id(kind, user_id)))).first()
        return None if row is None else WorkflowRow(**row._mapping)

    async def transition(self, kind: str, user_id: str, old: str, new: str) -> bool:
        """Move `old` → `new`; False when the saga is not in `old` (someone else moved it)."""
        async with self.db.write() as conn:
            result = await conn.execute(
                workflows.update().where(_W.id == workflow_id(kind, user_id), _W.state == old)
                .values(state=new, attempts=_W.attempts + 1, updated_at=utcnow())
                .returning(_W.id))
            return result.first() is not None

    async def finish(self, tx: Transaction, kind: str, user_id: str, state: str) -> bool:
        """Delete the row if it is in `state`, in `tx`; False otherwise."""
        result = await tx.conn.execute(
            workflows.delete().where(_W.id == workflow_id(kind, user_id), _W.state == state)
            .returning(_W.id))
        return result.first() is not None

    async def remove(self, kind: str, user_id: str, state: str) -> bool:
        async with self.db.write() as conn:
            return await self.finish(OwnTransaction(conn), kind, user_id, state)

    async def open(self, *, min_age: float = 0, limit: int = 1000) -> list[WorkflowRow]:
        """Open sagas untouched for `min_age` seconds, oldest first."""
        cutoff = utcnow() - timedelta(seconds=min_age)
        async with self.db.read() as conn:
            rows = (await conn.execute(
                sa.select(*_ROW).where(_W.updated_at <= cutoff)
                .order_by(_W.created_at, _W.id).limit(limit))).all()
        return [WorkflowRow(**r._mapping) for r in rows]


class ScheduledJobRepository:
    """Implements `services.workflow.ports.JobStore`: last run of each job, claimed by a
    conditional update so one slot runs once per deployment."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def last_runs(self) -> dict[str, float]:
        async with self.db.read() as conn:
            return {r[0]: r[1] for r in (await conn.execute(sa.select(_J.name, _J.last_run_at)))}

    async def claim(self, name: str, interval: float, now: float, owner: str) -> bool:
        """Take the run due at `now`; False when another process took it."""
        async with self.db.write() as conn:
            claimed = await conn.execute(
                scheduled_jobs.update()
                .where(_J.name == name, _J.last_run_at <= now - interval)
                .values(last_run_at=now, last_status="running", runs=_J.runs + 1,
                        last_owner=owner).returning(_J.name))
            if claimed.first() is not None:
                return True
            inserted = await conn.execute(
                insert_for(conn, scheduled_jobs)
                .values(name=name, last_run_at=now, last_status="running", runs=1,
                        last_owner=owner)
                .on_conflict_do_nothing().returning(_J.name))
            return inserted.first() is not None

    async def finish(self, name: str, owner: str, error: str | None) -> None:
        async with self.db.write() as conn:
            await conn.execute(scheduled_jobs.update()
                               .where(_J.name == name, _J.last_owner == owner)
                               .values(last_status="failed" if error else "ok",
                                       last_error=error))


class RewardRepository:
    """Implements `services.workflow.ports.RewardStore`."""

    async def known_user(self, tx: Transaction, user_id: str) -> bool:
        found = await tx.conn.execute(sa.select(user_profiles.c.user_id)
                                      .where(user_profiles.c.user_id == user_id))
        return found.first() is not None

    async def is_vip(self, tx: Transaction, user_id: str, at: datetime) -> bool:
        """An active VIP plan at `at` (read only: no expiry written)."""
        return await economy_progress.is_vip(tx.conn, user_id, at)

    async def rewards_since(self, tx: Transaction, user_id: str, since: datetime) -> int:
        return await economy_progress.reaction_rewards_since(tx.conn, user_id, since)

    async def first_reward(self, tx: Transaction, user_id: str, content_id: str,
                           event_id: str, amount: int, at: datetime) -> bool:
        """Record the reward for (user, content); False when it was given before."""
        first = (await tx.conn.execute(
            insert_for(tx.conn, reaction_rewards).values(
                user_id=user_id, content_id=content_id, event_id=event_id, amount=amount,
                created_at=at)
            .on_conflict_do_nothing().returning(reaction_rewards.c.user_id))).first()
        return first is not None
