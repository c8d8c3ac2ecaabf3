"""Repository of the Telegram update inbox (`processed_updates`), for the bot's intake.

The primary key de-duplicates: a redelivered `update_id` is not recorded twice, so it is
processed once. Rows move `pending` → `done` (or `failed` after the last attempt).
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.domain.clock import utcnow
from yabot.domain.views import InboxRow
from yabot.storage.sql.database import Database
from yabot.storage.sql.dialect import insert_for
from yabot.storage.sql.tables import processed_updates as t


async def insert_updates(conn: AsyncConnection, rows: list[tuple[int, str]]) -> set[int]:
    """Record raw updates in one statement; returns the update_ids that were new."""
    stmt = (insert_for(conn, t).values([{"update_id": i, "payload": p} for i, p in rows])
            .on_conflict_do_nothing().returning(t.c.update_id))
    return {int(r[0]) for r in await conn.execute(stmt)}


async def mark_done_in(conn: AsyncConnection, update_ids: list[int]) -> None:
    """Mark processed updates done in the caller's transaction."""
    await conn.execute(t.update().where(t.c.update_id.in_(update_ids)).values(
        status="done", attempts=t.c.attempts + 1, processed_at=utcnow()))


async def mark_failed_in(conn: AsyncConnection, update_id: int, error: str, *,
                         final: bool) -> int:
    """Count a failed attempt (`final`: give up on the update) in the caller's transaction;
    returns the attempts so far."""
    row = (await conn.execute(
        t.update().where(t.c.update_id == update_id)
        .values(attempts=t.c.attempts + 1, error=error[:500],
                status="failed" if final else "pending")
        .returning(t.c.attempts))).first()
    return int(row[0]) if row else 0


async def pending_updates(db: Database, *, after: int | None = None,
                          limit: int = 500) -> list[InboxRow]:
    """Updates recorded but not processed yet, in update_id order."""
    query = sa.select(t.c.update_id, t.c.payload, t.c.attempts).where(t.c.status == "pending")
    if after is not None:
        query = query.where(t.c.update_id > after)
    async with db.read() as conn:
        rows = (await conn.execute(query.order_by(t.c.update_id).limit(limit))).all()
    return [InboxRow(int(r[0]), str(r[1]), int(r[2])) for r in rows]


async def update_status(db: Database, update_id: int) -> str | None:
    async with db.read() as conn:
        row = (await conn.execute(sa.select(t.c.status)
                                  .where(t.c.update_id == update_id))).first()
    return None if row is None else str(row[0])


async def purge_done(db: Database, older_than: timedelta) -> int:
    """Delete processed rows older than `older_than` (Telegram redelivers within a day)."""
    cutoff = utcnow() - older_than
    async with db.write() as conn:
        result = await conn.execute(t.delete().where(t.c.status == "done")
                                    .where(t.c.processed_at < cutoff))
    return int(result.rowcount or 0)
