"""Narrative hints (from content packs) and their unlocks, once per (user, hint)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.domain.models import Hint
from yabot.storage.sql.database import Database
from yabot.storage.sql.dialect import insert_for
from yabot.storage.sql.repositories import economy_content, economy_progress
from yabot.storage.sql.repositories.base import Transaction
from yabot.storage.sql.tables import hint_unlocks, narrative_hints


async def _unlocked_ids(conn: AsyncConnection, user_id: str,
                        fragment_id: str | None = None) -> list[str]:
    query = (sa.select(hint_unlocks.c.hint_id)
             .join(narrative_hints, narrative_hints.c.hint_id == hint_unlocks.c.hint_id)
             .where(hint_unlocks.c.user_id == user_id).order_by(hint_unlocks.c.hint_id))
    if fragment_id is not None:
        query = query.where(narrative_hints.c.fragment_id == fragment_id)
    return list((await conn.execute(query)).scalars())


class HintRepository:
    """Implements `services.narrative.ports.HintStore`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def upsert_hints(self, tx: Transaction, hints: Sequence[Hint]) -> None:
        if not hints:
            return
        stmt = insert_for(tx.conn, narrative_hints)
        stmt = stmt.on_conflict_do_update(
            index_elements=[narrative_hints.c.hint_id],
            set_={c: stmt.excluded[c] for c in ("fragment_id", "threshold", "text")})
        await tx.conn.execute(stmt, [h.model_dump() for h in hints])

    async def reached(self, tx: Transaction, user_id: str,
                      balance: int) -> list[tuple[str, str]]:
        """(hint_id, fragment_id) of hints at or below `balance` the user has not unlocked."""
        unlocked = sa.select(hint_unlocks.c.hint_id).where(hint_unlocks.c.user_id == user_id)
        rows = await tx.conn.execute(
            sa.select(narrative_hints.c.hint_id, narrative_hints.c.fragment_id)
            .where(narrative_hints.c.threshold <= balance,
                   narrative_hints.c.hint_id.not_in(unlocked))
            .order_by(narrative_hints.c.threshold, narrative_hints.c.hint_id))
        return [(r[0], r[1]) for r in rows]

    async def unlock(self, tx: Transaction, user_id: str, hint_id: str, event_id: str) -> bool:
        """Record the unlock; False when this (user, hint) was unlocked before."""
        stmt = (insert_for(tx.conn, hint_unlocks)
                .values(user_id=user_id, hint_id=hint_id, event_id=event_id)
                .on_conflict_do_nothing().returning(hint_unlocks.c.hint_id))
        return (await tx.conn.execute(stmt)).first() is not None

    async def unlocked_for(self, tx: Transaction, user_id: str,
                           fragment_id: str | None = None) -> list[str]:
        """Hint ids the user has unlocked (optionally only those of one fragment)."""
        return await _unlocked_ids(tx.conn, user_id, fragment_id)

    async def unlocked_hints(self, user_id: str) -> list[Hint]:
        """The hints this user has unlocked, with their text."""
        async with self.db.read() as conn:
            ids = await _unlocked_ids(conn, user_id)
            rows = (await conn.execute(sa.select(narrative_hints)
                                       .where(narrative_hints.c.hint_id.in_(ids)))).mappings()
            return [Hint(**dict(r)) for r in rows]


class StoryRepository:
    """Implements `services.narrative.ports.StoryStore`: the economy's side of the story
    (pack sections, levels, milestones, fragments opened by items), over the economy's
    statements in `economy_content` and `economy_progress`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def stored_state(self) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
        """(hints, sections) as stored: id -> JSON."""
        async with self.db.read() as conn:
            return (await economy_content.stored_hints(conn),
                    await economy_content.stored_sections(conn))

    async def store_sections(self, tx: Transaction,
                             rows: Mapping[str, list[tuple[str, dict[str, Any]]]]) -> None:
        for kind, entries in rows.items():
            await economy_content.upsert_section(tx.conn, kind, entries)

    async def levels(self, tx: Transaction) -> list[dict[str, Any]]:
        return await economy_content.section(tx.conn, "levels")

    async def hint_fragment(self, tx: Transaction, hint_id: str) -> str | None:
        return await economy_content.hint_fragment(tx.conn, hint_id)

    async def add_milestone(self, tx: Transaction, user_id: str, kind: str, key: str,
                            event_id: str) -> bool:
        return await economy_progress.add_milestone(tx.conn, user_id, kind, key, event_id)

    async def unlock_fragment(self, tx: Transaction, user_id: str, fragment_id: str,
                              event_id: str) -> None:
        await economy_progress.unlock_fragment(tx.conn, user_id, fragment_id, event_id)

    async def fragment_unlocked(self, user_id: str, fragment_id: str) -> bool:
        async with self.db.read() as conn:
            return await economy_progress.fragment_unlocked(conn, user_id, fragment_id)
