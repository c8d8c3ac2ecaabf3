"""Broadcasts: one message to a segment (all, vip, free), through the send queue.

Creating one writes the broadcast and a queue row per recipient in one transaction (the
idempotency key makes a second request a no-op). Rows are sent at most once each (marked
`sending` before the send), at the queue's pace, after replies and notices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from yabot.domain.clock import utcnow
from yabot.domain.errors import InvalidInputError, NotFoundError
from yabot.domain.views import BroadcastRow
from yabot.services.messaging.ports import BroadcastStore
from yabot.services.messaging.queue import encode_params

Segment = Literal["all", "vip", "free"]
SEGMENTS = ("all", "vip", "free")


@dataclass(frozen=True)
class BroadcastCreated:
    broadcast_id: int
    recipients: int
    created: bool  # False: the idempotency key was seen, nothing new


@dataclass(frozen=True)
class BroadcastProgress:
    broadcast_id: int
    status: Literal["queued", "sending", "done"]
    total: int
    sent: int
    failed: int
    blocked: int
    segment: str
    text: str

    @classmethod
    def of(cls, row: BroadcastRow) -> BroadcastProgress:
        c = row.counts
        waiting, started = c.get("queued", 0), sum(c.get(k, 0) for k in
                                                   ("sending", "sent", "failed", "blocked"))
        status: Literal["queued", "sending", "done"] = (
            "done" if waiting + c.get("sending", 0) == 0
            else "queued" if started == 0 else "sending")
        return cls(row.id, status, row.total, c.get("sent", 0), c.get("failed", 0),
                   c.get("blocked", 0), row.segment, row.text)


class BroadcastService:
    def __init__(self, store: BroadcastStore) -> None:
        self.store = store

    async def create(self, *, text: str, segment: Segment, idempotency_key: str,
                     created_by: str | None = None) -> BroadcastCreated:
        if not text.strip():
            raise InvalidInputError("text", "a broadcast needs text")
        if segment not in SEGMENTS:
            raise InvalidInputError("segment", f"segment must be one of {SEGMENTS}")
        bid, total, created = await self.store.create(
            key=idempotency_key, text=text, segment=segment,
            params=encode_params({"text": text}), created_by=created_by, now=utcnow())
        return BroadcastCreated(bid, total, created)

    async def progress(self, broadcast_id: int) -> BroadcastProgress:
        row = await self.store.get(broadcast_id)
        if row is None:
            raise NotFoundError("broadcast", str(broadcast_id))
        return BroadcastProgress.of(row)

    async def recent(self, limit: int = 20) -> list[BroadcastProgress]:
        return [BroadcastProgress.of(r) for r in await self.store.recent(limit)]
