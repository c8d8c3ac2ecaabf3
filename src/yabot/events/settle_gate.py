"""Settling for a non-durable transport, held back for rows not yet flagged sent.

The relay sends a batch, then flags it sent in a second write. Every group may ack an event
in between; the settle (which deletes sent rows only, so that a row queued again is kept)
would then miss it and leave it in the outbox. Such settles wait here for the flag.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from yabot.events.outbox import Outbox, OutboxRow


class SettleGate:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self._unflagged: set[str] = set()  # sent, not yet flagged sent in the outbox
        self._early: set[str] = set()  # settled while unflagged

    def sending(self, rows: Iterable[OutboxRow]) -> None:
        """Rows about to be sent that the outbox does not flag sent yet."""
        self._unflagged.update(r.event_id for r in rows if not r.sent)

    async def settle(self, event_ids: Sequence[str]) -> None:
        """The transport's settled callback."""
        now = [e for e in event_ids if e not in self._unflagged]
        self._early.update(e for e in event_ids if e in self._unflagged)
        if now:
            await self.outbox.settle(now)

    async def flagged(self, rows: Iterable[OutboxRow]) -> None:
        """Rows just flagged sent: settle those every group has acked already."""
        ids = {r.event_id for r in rows}
        self._unflagged -= ids
        ready = self._early & ids
        if not ready:
            return
        self._early -= ready
        try:
            await self.outbox.settle(list(ready))
        except BaseException:
            self._early |= ready  # the next flag of any batch does not retry them; a restart does
            raise
