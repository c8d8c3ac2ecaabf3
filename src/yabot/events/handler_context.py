"""Publisher and HandlerContext: events written in an open transaction, and what a handler
gets. Their own module so that the bus and the processor both import them, not each other."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.domain.events import BaseEvent, validate_event
from yabot.events.outbox import Outbox


@dataclass(kw_only=True)
class Publisher:
    """Writes events into the outbox of an open transaction; they commit with it."""

    conn: AsyncConnection
    published: bool = False
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    async def publish(self, *events: BaseEvent) -> None:
        await Outbox.add(self.conn, [validate_event(e) for e in events])
        self.published = True

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Call `callback` once this transaction has committed (not if it rolls back)."""
        if callback not in self.after_commit:
            self.after_commit.append(callback)

    def committed(self) -> None:
        """Run the `on_commit` callbacks (by whoever committed the transaction)."""
        for callback in self.after_commit:
            callback()


@dataclass(kw_only=True)
class HandlerContext(Publisher):
    """What a handler gets: the transaction its effects must use, and `publish`."""

    group: str
