"""UpdateInbox rows for the bot's intake: record, list pending, count a failed attempt,
purge done ones, commit handled updates. The bot takes this (built in the container),
never the store."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.domain.views import InboxRow
from yabot.events.handler_context import Publisher
from yabot.services.messaging.ports import MessageStore, UpdateStore
from yabot.services.messaging.update_commit import (
    Committed,
    ReplyClaim,
    UpdateEffects,
    commit_updates,
)
from yabot.storage.sql.sqlite_connection import run_inline


class UpdateRecords:
    def __init__(self, store: UpdateStore, messages: MessageStore) -> None:
        self.store, self.messages = store, messages

    async def commit(self, tx: Publisher, batch: list[UpdateEffects], *, done: bool = True,
                     claim: ReplyClaim | None = None) -> Committed:
        """Write what handling `batch` left (see `update_commit.commit_updates`) in `tx`;
        on SQLite in one hop to the writer thread, however many statements it takes."""
        async def work(conn: AsyncConnection) -> Committed:
            inner = Publisher(conn=conn, after_commit=tx.after_commit)
            committed = await commit_updates(self.messages, inner, batch, done=done,
                                             claim=claim)
            tx.published = tx.published or inner.published
            return committed

        return await run_inline(tx.conn, work)

    async def record(self, tx: Publisher, rows: list[tuple[int, str]]) -> set[int]:
        """Record raw (update_id, JSON) in `tx`; returns the update_ids that were new."""
        return await self.store.insert(tx, rows)

    async def mark_failed(self, tx: Publisher, update_id: int, error: str, *,
                          final: bool) -> int:
        """Count a failed attempt in `tx` (`final`: give up); returns the attempts so far."""
        return await self.store.mark_failed(tx, update_id, error, final=final)

    async def pending(self, *, after: int | None = None) -> list[InboxRow]:
        """Recorded, not processed yet, in update_id order (a page of them)."""
        return await self.store.pending(after=after)

    async def purge_done(self, older_than: timedelta) -> int:
        """Delete processed rows older than `older_than`; returns how many."""
        return await self.store.purge_done(older_than)
