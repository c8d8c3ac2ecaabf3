"""Batched retention purges: delete old rows a batch per transaction, never holding the writer
for long (SQLite has one writer; PostgreSQL keeps its locks short)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import sqlalchemy as sa

from yabot.domain.clock import utcnow
from yabot.storage.sql.database import Database

PURGE_BATCH = 2_000


async def purge_older_than(db: Database, table: sa.Table, column: sa.Column[datetime],
                           retention: timedelta, *, batch: int = PURGE_BATCH) -> int:
    """Delete rows of `table` whose `column` is older than `retention`; returns the count.

    Each batch of at most `batch` rows is its own short write transaction, and the loop
    yields between batches so other writers interleave.
    """
    cutoff = utcnow() - retention
    keys = list(table.primary_key.columns)
    victims = sa.select(*keys).where(column < cutoff).limit(batch)
    statement = table.delete().where(sa.tuple_(*keys).in_(victims))
    removed = 0
    while True:
        async with db.write() as conn:
            count = int((await conn.execute(statement)).rowcount)
        removed += count
        if count < batch:
            return removed
        await asyncio.sleep(0)
