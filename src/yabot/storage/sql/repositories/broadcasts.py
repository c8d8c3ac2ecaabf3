"""Repository of broadcasts: the broadcast row and its recipients (queue rows, one per user
of the segment, written in the same transaction), and their progress."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.domain.views import BroadcastRow
from yabot.storage.sql.database import Database
from yabot.storage.sql.dialect import insert_for
from yabot.storage.sql.repositories.messaging import PRIORITY
from yabot.storage.sql.tables import subscriptions as s
from yabot.storage.sql.tables import user_profiles as p
from yabot.storage.sql.tables_messaging import broadcasts as b
from yabot.storage.sql.tables_messaging import outgoing_messages as t


def _vip_users(now: datetime) -> sa.Select[tuple[str]]:
    """Users whose newest subscription row is an active VIP plan that has not ended."""
    newest = sa.select(sa.func.max(s.c.id)).group_by(s.c.user_id)
    return (sa.select(s.c.user_id).where(s.c.id.in_(newest)).where(s.c.plan_type == "vip")
            .where(s.c.status == "active")
            .where(sa.or_(s.c.end_date.is_(None), s.c.end_date > now)))


async def create(conn: AsyncConnection, *, key: str, text: str, segment: str, params: str,
                 created_by: str | None, now: datetime) -> tuple[int, int, bool]:
    """The broadcast and one queue row per recipient; the same key again changes nothing.
    Returns (id, recipients, created)."""
    new = (await conn.execute(insert_for(conn, b).values(
        idempotency_key=key, text=text, segment=segment, created_by=created_by,
        created_at=now).on_conflict_do_nothing().returning(b.c.id))).scalar()
    if new is None:
        row = (await conn.execute(sa.select(b.c.id, b.c.total)
                                  .where(b.c.idempotency_key == key))).one()
        return int(row[0]), int(row[1]), False
    users = sa.select(
        p.c.telegram_user_id, sa.literal("sendMessage"), sa.literal(params),
        sa.literal("broadcast"), sa.literal(PRIORITY["broadcast"]),
        sa.literal(f"broadcast:{new}:") + p.c.user_id, sa.literal(int(new)),
        sa.literal("queued"))
    if segment == "vip":
        users = users.where(p.c.user_id.in_(_vip_users(now)))
    elif segment == "free":
        users = users.where(p.c.user_id.not_in(_vip_users(now)))
    result = await conn.execute(t.insert().from_select(
        ["chat_id", "method", "params", "kind", "priority", "dedupe_key", "broadcast_id",
         "status"], users))
    total = int(result.rowcount or 0)
    await conn.execute(b.update().where(b.c.id == new).values(total=total))
    return int(new), total, True


async def get(conn: AsyncConnection, broadcast_id: int) -> BroadcastRow | None:
    row = (await conn.execute(sa.select(b.c.id, b.c.text, b.c.segment, b.c.total,
                                        b.c.created_at).where(b.c.id == broadcast_id))).first()
    if row is None:
        return None
    counts = {str(st): int(n) for st, n in await conn.execute(
        sa.select(t.c.status, sa.func.count()).where(t.c.broadcast_id == broadcast_id)
        .group_by(t.c.status))}
    return BroadcastRow(int(row[0]), str(row[1]), str(row[2]), int(row[3]), row[4], counts)


async def recent(conn: AsyncConnection, limit: int) -> list[BroadcastRow]:
    ids = (await conn.execute(sa.select(b.c.id).order_by(b.c.id.desc()).limit(limit))).scalars()
    rows = [await get(conn, int(i)) for i in list(ids)]
    return [r for r in rows if r is not None]


class BroadcastRepository:
    """Implements `services.messaging.ports.BroadcastStore` (each call its own transaction)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, *, key: str, text: str, segment: str, params: str,
                     created_by: str | None, now: datetime) -> tuple[int, int, bool]:
        async with self.db.write() as conn:
            return await create(conn, key=key, text=text, segment=segment, params=params,
                                created_by=created_by, now=now)

    async def get(self, broadcast_id: int) -> BroadcastRow | None:
        async with self.db.read() as conn:
            return await get(conn, broadcast_id)

    async def recent(self, limit: int) -> list[BroadcastRow]:
        async with self.db.read() as conn:
            return await recent(conn, limit)
