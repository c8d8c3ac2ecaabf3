"""DeadLetterService: list dead letters and replay one, for the API (the CLI twin is
`yabot events dlq`). Replay goes through the outbox with the same event_id."""

from __future__ import annotations

from yabot.domain.errors import ConflictError, NotFoundError
from yabot.events.dead_letter_queue import DeadLetterRow
from yabot.services.admin.ports import DeadLetterQueue, DeadLetterStore


class DeadLetterService:
    def __init__(self, *, queue: DeadLetterQueue, store: DeadLetterStore) -> None:
        """`queue`: the event bus's own dead-letter queue (list, replay)."""
        self.queue, self.store = queue, store

    async def list(self, *, include_replayed: bool = False,
                   limit: int = 100) -> list[DeadLetterRow]:
        """Oldest first; replayed ones only with `include_replayed`."""
        return await self.queue.entries(include_replayed=include_replayed, limit=limit)

    async def pending_count(self) -> int:
        """Dead letters not yet replayed (the `yabot_dead_letters` gauge, health)."""
        return await self.store.pending_count()

    async def get(self, dead_letter_id: int) -> DeadLetterRow:
        """NotFoundError("dead_letter") for an unknown id."""
        row = await self.store.find(dead_letter_id)
        if row is None:
            raise NotFoundError("dead_letter", str(dead_letter_id))
        return DeadLetterRow(**{k: row[k] for k in DeadLetterRow.__dataclass_fields__})

    async def replay(self, dead_letter_id: int) -> DeadLetterRow:
        """Send it through the bus again; ConflictError when it was already replayed."""
        await self.get(dead_letter_id)
        if not await self.queue.replay([dead_letter_id]):
            raise ConflictError(f"dead letter {dead_letter_id} was already replayed")
        return await self.get(dead_letter_id)
