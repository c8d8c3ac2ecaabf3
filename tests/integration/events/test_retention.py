"""Retention purges on SQLite and PostgreSQL: old rows go in batches, recent ones stay."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from yabot.events.bus import BusConfig, EventBus
from yabot.events.retention import purge_older_than
from yabot.events.transports.memory import MemoryTransport
from yabot.storage.sql.database import Database
from yabot.storage.sql.migrate import migrate
from yabot.storage.sql.tables import event_log, outbox, processed_events


@pytest.fixture
async def db(relational_url: str) -> AsyncIterator[Database]:
    database = Database(relational_url)
    await migrate(database)
    try:
        yield database
    finally:
        await database.dispose()


async def _marks(db: Database, *, old: int, recent: int) -> None:
    now = datetime.now(UTC)
    rows = [{"consumer_group": "g", "event_id": f"old-{i}",
             "processed_at": now - timedelta(days=8, minutes=i)} for i in range(old)]
    rows += [{"consumer_group": "g", "event_id": f"new-{i}",
              "processed_at": now - timedelta(days=6)} for i in range(recent)]
    async with db.write() as conn:
        await conn.execute(processed_events.insert(), rows)


async def _count(db: Database, table: sa.Table) -> int:
    async with db.read() as conn:
        return int((await conn.execute(
            sa.select(sa.func.count()).select_from(table))).scalar_one())


async def test_purge_removes_only_old_rows_in_batches(db: Database) -> None:
    await _marks(db, old=23, recent=5)

    removed = await purge_older_than(db, processed_events, processed_events.c.processed_at,
                                     timedelta(days=7), batch=4)

    assert removed == 23
    async with db.read() as conn:
        left = set((await conn.execute(sa.select(processed_events.c.event_id))).scalars())
    assert left == {f"new-{i}" for i in range(5)}
    assert await purge_older_than(db, processed_events, processed_events.c.processed_at,
                                  timedelta(days=7), batch=4) == 0


async def test_bus_purges_marks_and_event_log_by_their_settings(db: Database) -> None:
    await _marks(db, old=3, recent=2)
    now = datetime.now(UTC)
    async with db.write() as conn:
        await conn.execute(event_log.insert(), [
            {"event_id": f"e{i}", "event_type": "user_activity", "event_data": "{}",
             "timestamp": now - timedelta(days=days)} for i, days in enumerate((40, 31, 2))])
    bus = EventBus(db, MemoryTransport(partitions=1), BusConfig(
        event_log_retention=timedelta(days=30), processed_retention=timedelta(days=7)))

    assert await bus.purge_processed_marks() == 3
    assert await bus.purge_event_log() == 2
    assert await _count(db, processed_events) == 2
    async with db.read() as conn:
        assert list((await conn.execute(sa.select(event_log.c.event_id))).scalars()) == ["e2"]


async def test_sent_outbox_rows_stay_for_the_replay_window_then_go(db: Database) -> None:
    bus = EventBus(db, MemoryTransport(partitions=2), BusConfig())
    async with db.write() as conn:
        await conn.execute(outbox.insert(), [
            {"event_id": f"e{i}", "event_type": "user_activity", "data": "{}"}
            for i in range(6)])
    rows = await bus.outbox.pending(10)
    await bus.outbox.mark_sent(rows[:4])
    async with db.write() as conn:  # two of them were sent an hour ago
        await conn.execute(outbox.update().where(outbox.c.event_id.in_(["e0", "e1"]))
                           .values(sent_at=datetime.now(UTC) - timedelta(hours=1)))

    assert await bus.outbox.purge_sent(timedelta(minutes=15)) == 2

    assert [r.event_id for r in await bus.outbox.after(0, 10)] == ["e2", "e3", "e4", "e5"]
    assert [r.event_id for r in await bus.outbox.pending(10)] == ["e4", "e5"]
    assert await bus.outbox.backlog() == 2
