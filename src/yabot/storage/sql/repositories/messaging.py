"""Repository of the outgoing message queue (`outgoing_messages`, `blocked_chats`).

Rows are inserted in the caller's transaction; the sender claims them with a lease
(`claimed_by`, `claim_until`), sends, then settles them (sent, failed, blocked, retry).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.domain.views import NewMessage, QueuedMessage, Settlement
from yabot.storage.sql.database import Database
from yabot.storage.sql.dialect import insert_for
from yabot.storage.sql.repositories.base import Transaction
from yabot.storage.sql.repositories.update_activity import count_commands, touch_last_activity
from yabot.storage.sql.tables_messaging import blocked_chats as b
from yabot.storage.sql.tables_messaging import outgoing_messages as t
from yabot.storage.sql.updates import mark_done_in

PRIORITY = {"reply": 0, "notice": 1, "broadcast": 2}
__all__ = ["PRIORITY", "MessageRepository", "QueuedMessage", "Settlement", "claim",
           "empty_settlement", "insert_claimed", "insert_messages", "message_row", "settle"]


def message_row(*, chat_id: int, method: str, params: str, kind: str,
                dedupe_key: str | None = None, broadcast_id: int | None = None,
                claimed_by: str | None = None, claim_until: datetime | None = None
                ) -> dict[str, Any]:
    return {"chat_id": chat_id, "method": method, "params": params, "kind": kind,
            "priority": PRIORITY[kind], "dedupe_key": dedupe_key,
            "broadcast_id": broadcast_id, "claimed_by": claimed_by,
            "claim_until": claim_until}


async def insert_messages(conn: AsyncConnection, rows: list[dict[str, Any]]) -> list[int]:
    """Queue rows in the caller's transaction; a repeated `dedupe_key` is skipped.
    Returns the new rows' ids."""
    if not rows:
        return []
    stmt = insert_for(conn, t).on_conflict_do_nothing().returning(t.c.id)
    if len(rows) == 1:
        return [int(i) for i in (await conn.execute(stmt.values(rows[0]))).scalars()]
    return [int(i) for i in (await conn.execute(stmt.values(rows))).scalars()]


async def insert_claimed(conn: AsyncConnection,
                         rows: list[dict[str, Any]]) -> list[QueuedMessage]:
    """Queue rows that already carry their lease (`claimed_by`, `claim_until`) in the
    caller's transaction; returns them as the sender holds them, in id order."""
    if not rows:
        return []
    stmt = (insert_for(conn, t).values(rows).on_conflict_do_nothing()
            .returning(t.c.id, t.c.chat_id, t.c.method, t.c.params, t.c.kind, t.c.attempts,
                       t.c.broadcast_id))
    return sorted((QueuedMessage(int(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]),
                                 int(r[5]), None if r[6] is None else int(r[6]))
                   for r in await conn.execute(stmt)), key=lambda m: m.id)


async def claim(conn: AsyncConnection, *, owner: str, now: datetime, until: datetime,
                limit: int) -> list[QueuedMessage]:
    """Lease up to `limit` due rows (replies first, then notices, then broadcasts).

    A broadcast row becomes `sending` (its at-most-once mark); rows for blocked chats
    are settled `blocked` here and not returned.
    """
    due = (sa.select(t.c.id).where(t.c.status == "queued")
           .where(sa.or_(t.c.not_before.is_(None), t.c.not_before <= now))
           .where(sa.or_(t.c.claim_until.is_(None), t.c.claim_until < now))
           .order_by(t.c.priority, t.c.id).limit(limit))
    if conn.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    stmt = (t.update().where(t.c.id.in_(due.scalar_subquery()))
            .values(claimed_by=owner, claim_until=until,
                    status=sa.case((t.c.kind == "broadcast", "sending"), else_=t.c.status))
            .returning(t.c.id, t.c.chat_id, t.c.method, t.c.params, t.c.kind, t.c.attempts,
                       t.c.broadcast_id))
    rows = [QueuedMessage(int(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]), int(r[5]),
                          None if r[6] is None else int(r[6]))
            for r in await conn.execute(stmt)]
    if not rows:
        return []
    chats = {r.chat_id for r in rows}
    blocked = set((await conn.execute(
        sa.select(b.c.chat_id).where(b.c.chat_id.in_(chats)))).scalars())
    if blocked:
        await conn.execute(t.update().where(t.c.id.in_(
            [r.id for r in rows if r.chat_id in blocked]))
            .values(status="blocked", claimed_by=None, claim_until=None))
    return sorted((r for r in rows if r.chat_id not in blocked), key=lambda r: r.id)


def empty_settlement() -> Settlement:
    return Settlement()


async def settle(conn: AsyncConnection, s: Settlement, *, now: datetime) -> None:
    if s.sent:
        await conn.execute(t.update().where(t.c.id.in_(s.sent)).values(
            status="sent", sent_at=now, attempts=t.c.attempts + 1, claim_until=None))
    if s.failed:
        await conn.execute(t.update().where(t.c.id == sa.bindparam("mid")).values(
            status="failed", error=sa.bindparam("err"), attempts=t.c.attempts + 1,
            claim_until=None), [{"mid": i, "err": e[:500]} for i, e in s.failed])
    if s.retry:
        await conn.execute(t.update().where(t.c.id == sa.bindparam("mid")).values(
            status="queued", not_before=sa.bindparam("nb"),
            attempts=t.c.attempts + sa.bindparam("bump"), claimed_by=None, claim_until=None),
            [{"mid": i, "nb": at, "bump": n} for i, at, n in s.retry])
    if s.released:
        await conn.execute(t.update().where(t.c.id.in_(s.released)).values(
            status="queued", claimed_by=None, claim_until=None))
    if s.blocked:
        chats = sorted({c for _, c in s.blocked})
        await conn.execute(insert_for(conn, b).on_conflict_do_nothing(),
                           [{"chat_id": c, "blocked_at": now} for c in chats])
        await conn.execute(t.update().where(sa.or_(
            t.c.id.in_([i for i, _ in s.blocked]),
            sa.and_(t.c.chat_id.in_(chats), t.c.status == "queued")))
            .values(status="blocked", claim_until=None, attempts=t.c.attempts + 1))


async def unblock(conn: AsyncConnection, chat_ids: list[int]) -> None:
    """These users wrote again: they get messages again."""
    if chat_ids:
        await conn.execute(b.delete().where(b.c.chat_id.in_(chat_ids)))


async def fail_interrupted(conn: AsyncConnection, *, now: datetime) -> int:
    """Broadcast rows marked `sending` whose lease ran out (the process died mid-send):
    at most once, so they count as failed and are never sent again."""
    result = await conn.execute(t.update().where(t.c.status == "sending")
                                .where(t.c.claim_until < now)
                                .values(status="failed", error="interrupted"))
    return int(result.rowcount or 0)


async def purge_settled(conn: AsyncConnection, *, before: datetime) -> int:
    """Delete settled replies and notices older than `before` (broadcast rows stay)."""
    result = await conn.execute(t.delete().where(t.c.created_at < before)
                                .where(t.c.broadcast_id.is_(None))
                                .where(t.c.status.in_(("sent", "failed", "blocked"))))
    return int(result.rowcount or 0)


async def message_counts(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(sa.select(t.c.status, sa.func.count()).group_by(t.c.status))
    return {str(s): int(n) for s, n in rows}


def _row(m: NewMessage, *, claimed_by: str | None = None,
         claim_until: datetime | None = None) -> dict[str, Any]:
    return message_row(chat_id=m.chat_id, method=m.method, params=m.params, kind=m.kind,
                       dedupe_key=m.dedupe_key, claimed_by=claimed_by, claim_until=claim_until)


class MessageRepository:
    """Implements `services.messaging.ports.MessageStore` over the statements above."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def insert(self, tx: Transaction, rows: list[NewMessage]) -> list[int]:
        return await insert_messages(tx.conn, [_row(m) for m in rows])

    async def insert_claimed(self, tx: Transaction, rows: list[NewMessage], *, owner: str,
                             until: datetime) -> list[QueuedMessage]:
        return await insert_claimed(tx.conn, [_row(m, claimed_by=owner, claim_until=until)
                                              for m in rows])

    async def unblock(self, tx: Transaction, chat_ids: list[int]) -> None:
        await unblock(tx.conn, chat_ids)

    async def mark_done(self, tx: Transaction, update_ids: list[int]) -> None:
        await mark_done_in(tx.conn, update_ids)

    async def record_activity(self, tx: Transaction, last: dict[str, datetime],
                              counts: dict[tuple[str, str], tuple[int, datetime]]) -> None:
        await touch_last_activity(tx.conn, last)
        await count_commands(tx.conn, counts)

    async def claim(self, *, owner: str, now: datetime, until: datetime,
                    limit: int) -> list[QueuedMessage]:
        async with self.db.write() as conn:
            return await claim(conn, owner=owner, now=now, until=until, limit=limit)

    async def settle(self, s: Settlement, *, now: datetime) -> None:
        async with self.db.write() as conn:
            await settle(conn, s, now=now)

    async def sweep(self, *, now: datetime, purge_before: datetime) -> int:
        async with self.db.write() as conn:
            failed = await fail_interrupted(conn, now=now)
            await purge_settled(conn, before=purge_before)
        return failed
