"""Implements `services.messaging.ports.UpdateStore`: the Telegram update inbox
(`processed_updates`) over the statements in `storage/sql/updates.py`."""

from __future__ import annotations

from datetime import timedelta

from yabot.domain.views import InboxRow
from yabot.storage.sql import updates
from yabot.storage.sql.database import Database
from yabot.storage.sql.repositories.base import Transaction


class UpdateRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def insert(self, tx: Transaction, rows: list[tuple[int, str]]) -> set[int]:
        return await updates.insert_updates(tx.conn, rows)

    async def mark_failed(self, tx: Transaction, update_id: int, error: str, *,
                          final: bool) -> int:
        return await updates.mark_failed_in(tx.conn, update_id, error, final=final)

    async def pending(self, *, after: int | None = None, limit: int = 500) -> list[InboxRow]:
        return await updates.pending_updates(self.db, after=after, limit=limit)

    async def purge_done(self, older_than: timedelta) -> int:
        return await updates.purge_done(self.db, older_than)
