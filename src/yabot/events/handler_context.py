"""Publisher and HandlerContext: events written in an open transaction, and what a handler
gets. Their own module so that the bus and the processor both import them, not each other."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.domain.events import BaseEvent, validate_event
from yabot.events.outbox import Outbox


@dataclass(kw_only=True)
class Publisher:
    """Writes events into the outbox of an open transaction; they commit with it."""

    conn: AsyncConnection
    published: bool = False

    async def publish(self, *events: BaseEvent) -> None:
        await Outbox.add(self.conn, [validate_event(e) for e in events])
        self.published = True


@dataclass(kw_only=True)
class HandlerContext(Publisher):
    """What a handler gets: the transaction its effects must use, and `publish`."""

    group: str
