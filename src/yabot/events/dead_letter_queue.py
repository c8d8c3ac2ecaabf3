"""Dead letters: list them, and replay them through the outbox (same event_id).

A replayed event reaches every group again, but groups that handled it have its
`(group, event_id)` in `processed_events` and skip it, so only the failed group acts (its
own mark, written with the dead letter, is removed by the replay).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from yabot.storage.sql.database import Database
from yabot.storage.sql.tables import dead_letters, outbox, processed_events


@dataclass(frozen=True, kw_only=True)
class DeadLetterRow:
    id: int
    event_id: str
    event_type: str
    consumer_group: str
    error: str
    attempts: int
    created_at: datetime | None
    replayed_at: datetime | None


async def list_dead_letters(db: Database, *, include_replayed: bool = False,
                            limit: int = 100) -> list[DeadLetterRow]:
    query = sa.select(dead_letters).order_by(dead_letters.c.id).limit(limit)
    if not include_replayed:
        query = query.where(dead_letters.c.replayed_at.is_(None))
    async with db.read() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [DeadLetterRow(**{k: r[k] for k in DeadLetterRow.__dataclass_fields__}) for r in rows]


async def replay_dead_letters(db: Database, ids: Sequence[int] | None) -> list[int]:
    """Put dead letters back in the outbox (all pending ones when `ids` is None).

    Returns the ids replayed; unknown or already replayed ids are skipped.
    """
    query = sa.select(dead_letters).where(dead_letters.c.replayed_at.is_(None))
    if ids is not None:
        query = query.where(dead_letters.c.id.in_(list(ids)))
    replayed: list[int] = []
    async with db.write() as conn:
        rows = (await conn.execute(query.order_by(dead_letters.c.id))).mappings().all()
        queued = set((await conn.execute(sa.select(outbox.c.event_id).where(
            outbox.c.event_id.in_([r["event_id"] for r in rows])))).scalars())
        for row in rows:
            if row["event_id"] in queued:  # still there (unsettled): send it again
                await conn.execute(outbox.update().where(outbox.c.event_id == row["event_id"])
                                   .values(sent=False))
            else:
                await conn.execute(outbox.insert().values(
                    event_id=row["event_id"], event_type=row["event_type"],
                    partition_key=_user_of(row["event_data"]),
                    data=row["event_data"]))
                queued.add(row["event_id"])
            await conn.execute(processed_events.delete().where(  # the group acts again
                processed_events.c.consumer_group == row["consumer_group"],
                processed_events.c.event_id == row["event_id"]))
            await conn.execute(dead_letters.update().where(dead_letters.c.id == row["id"])
                               .values(replayed_at=datetime.now(UTC)))
            replayed.append(int(row["id"]))
    return replayed


def _user_of(data: str) -> str | None:
    try:
        user = json.loads(data).get("user_id")
    except (ValueError, AttributeError):
        return None
    return str(user) if user is not None else None


class DeadLetterQueue:
    """The two functions above over one database (what `DeadLetterService` takes)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def entries(self, *, include_replayed: bool = False,
                   limit: int = 100) -> list[DeadLetterRow]:
        return await list_dead_letters(self.db, include_replayed=include_replayed, limit=limit)

    async def replay(self, ids: Sequence[int]) -> list[int]:
        return await replay_dead_letters(self.db, ids)
