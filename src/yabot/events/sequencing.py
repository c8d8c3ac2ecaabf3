"""Per-user event sequence numbers, taken in the publishing transaction.

The counter row is locked until the transaction commits, so a user's sequenced events get
numbers in commit order; consumers that need per-user order (the coordinator) reorder by it.
"""

from __future__ import annotations

from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.domain.events import BaseEvent
from yabot.events.handler_context import Publisher
from yabot.storage.sql.dialect import insert_for
from yabot.storage.sql.tables import event_sequences

E = TypeVar("E", bound=BaseEvent)
# the types that carry a per-user number: the coordinator subscribes to exactly these, so
# the many unnumbered events (update_received, user_activity, ...) never reach its group
# (a type the coordinator's workflows neither start from nor order after costs ordering
# work for nothing: `decision_made` and `vip_access_*` are published unnumbered)
SEQUENCED_TYPES = frozenset({
    "reaction_detected", "besitos_awarded", "besitos_spent", "narrative_hint_unlocked"})


async def next_sequences(conn: AsyncConnection, user_id: str, count: int) -> int:
    """Reserve `count` numbers for `user_id`; returns the first one."""
    stmt = insert_for(conn, event_sequences).values(user_id=user_id, last_sequence=count)
    stmt = stmt.on_conflict_do_update(
        index_elements=[event_sequences.c.user_id],
        set_={"last_sequence": event_sequences.c.last_sequence + count})
    last = (await conn.execute(stmt.returning(event_sequences.c.last_sequence))).scalar_one()
    return int(last) - count + 1


async def sequenced(conn: AsyncConnection, *events: E) -> list[E]:
    """Copies of `events` numbered per user, in the given order (events without a user
    are returned unchanged)."""
    out: list[E] = []
    for event in events:
        if event.event_type not in SEQUENCED_TYPES:
            raise ValueError(f"{event.event_type} is not in SEQUENCED_TYPES")
        if event.user_id is None:
            out.append(event)
            continue
        number = await next_sequences(conn, event.user_id, 1)
        out.append(event.model_copy(update={"sequence": number}))
    return out


async def publish_sequenced(tx: Publisher, *events: BaseEvent) -> list[BaseEvent]:
    """Number the events for their users and publish them in `tx`'s transaction."""
    numbered = await sequenced(tx.conn, *events)
    await tx.publish(*numbered)
    return numbered


async def last_sequence(conn: AsyncConnection, user_id: str) -> int:
    """The last number handed out for `user_id` (0 when none)."""
    value = (await conn.execute(sa.select(event_sequences.c.last_sequence)
                                .where(event_sequences.c.user_id == user_id))).scalar()
    return int(value or 0)
