"""Narrative hints (from content packs) and their unlocks, once per (user, hint)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.storage.sql.tables import hint_unlocks, narrative_hints

if TYPE_CHECKING:
    from yabot.services.narrative.content import Hint


def _insert(conn: AsyncConnection) -> type[sqlite.Insert] | type[postgresql.Insert]:
    return sqlite.Insert if conn.dialect.name == "sqlite" else postgresql.Insert


async def upsert_hints(conn: AsyncConnection, hints: Sequence[Hint]) -> None:
    if not hints:
        return
    stmt = _insert(conn)(narrative_hints)
    stmt = stmt.on_conflict_do_update(
        index_elements=[narrative_hints.c.hint_id],
        set_={c: stmt.excluded[c] for c in ("fragment_id", "threshold", "text")})
    await conn.execute(stmt, [h.model_dump() for h in hints])


async def reached(conn: AsyncConnection, user_id: str, balance: int) -> list[tuple[str, str]]:
    """(hint_id, fragment_id) of hints at or below `balance` the user has not unlocked."""
    unlocked = sa.select(hint_unlocks.c.hint_id).where(hint_unlocks.c.user_id == user_id)
    rows = await conn.execute(
        sa.select(narrative_hints.c.hint_id, narrative_hints.c.fragment_id)
        .where(narrative_hints.c.threshold <= balance,
               narrative_hints.c.hint_id.not_in(unlocked))
        .order_by(narrative_hints.c.threshold, narrative_hints.c.hint_id))
    return [(r[0], r[1]) for r in rows]


async def unlock(conn: AsyncConnection, user_id: str, hint_id: str, event_id: str) -> bool:
    """Record the unlock; False when this (user, hint) was unlocked before."""
    stmt = (_insert(conn)(hint_unlocks)
            .values(user_id=user_id, hint_id=hint_id, event_id=event_id)
            .on_conflict_do_nothing().returning(hint_unlocks.c.hint_id))
    return (await conn.execute(stmt)).first() is not None


async def unlocked_for(conn: AsyncConnection, user_id: str,
                       fragment_id: str | None = None) -> list[str]:
    """Hint ids the user has unlocked (optionally only those of one fragment)."""
    query = (sa.select(hint_unlocks.c.hint_id)
             .join(narrative_hints, narrative_hints.c.hint_id == hint_unlocks.c.hint_id)
             .where(hint_unlocks.c.user_id == user_id).order_by(hint_unlocks.c.hint_id))
    if fragment_id is not None:
        query = query.where(narrative_hints.c.fragment_id == fragment_id)
    return list((await conn.execute(query)).scalars())
