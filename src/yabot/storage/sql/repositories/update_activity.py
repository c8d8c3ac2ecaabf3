"""Activity bookkeeping written with an update's done mark: the user's last activity and
their command counts (one statement each for a whole group commit)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.storage.sql.dialect import insert_for
from yabot.storage.sql.tables import user_profiles as p
from yabot.storage.sql.tables_messaging import command_counts as c


async def touch_last_activity(conn: AsyncConnection, last: dict[str, datetime]) -> None:
    """Move each user's `last_activity` forward (never back) in the caller's transaction."""
    if not last:
        return
    await conn.execute(
        p.update().where(p.c.user_id == sa.bindparam("uid"))
        .where(sa.or_(p.c.last_activity.is_(None), p.c.last_activity < sa.bindparam("at")))
        .values(last_activity=sa.bindparam("at")),
        [{"uid": u, "at": at} for u, at in last.items()])


async def count_commands(conn: AsyncConnection,
                         counts: dict[tuple[str, str], tuple[int, datetime]]) -> None:
    """Add to `command_counts` per (user, command) in the caller's transaction."""
    if not counts:
        return
    stmt = insert_for(conn, c)
    stmt = stmt.on_conflict_do_update(
        index_elements=[c.c.user_id, c.c.command],
        set_={"count": c.c.count + stmt.excluded.count, "last_at": stmt.excluded.last_at})
    await conn.execute(stmt, [{"user_id": u, "command": cmd, "count": n, "last_at": at}
                              for (u, cmd), (n, at) in counts.items()])


async def command_count(conn: AsyncConnection, user_id: str, command: str) -> int:
    row = (await conn.execute(sa.select(c.c.count).where(c.c.user_id == user_id)
                              .where(c.c.command == command))).first()
    return 0 if row is None else int(row[0])
