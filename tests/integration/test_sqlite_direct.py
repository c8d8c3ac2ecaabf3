"""SQLite's fast path: the writer thread, the write gate shared with the engine's writer,
statements compiled once."""

from __future__ import annotations

import asyncio
import threading

import pytest
import sqlalchemy as sa

from yabot.storage.sql.database import Database
from yabot.storage.sql.sqlite_direct import compiled
from yabot.storage.sql.statements import Session
from yabot.storage.sql.tables import user_profiles

_COUNT = sa.select(sa.func.count()).select_from(user_profiles)


def _insert(uid: str) -> sa.Insert:
    return user_profiles.insert().values(user_id=uid, telegram_user_id=abs(hash(uid)) % 10**9)


async def test_a_transaction_runs_on_the_writer_thread_not_the_loop(db: Database) -> None:
    def where(session: Session) -> str:
        session.execute(_COUNT)
        return threading.current_thread().name

    name = await db.transaction(where)
    assert name.startswith("sqlite-writer") and name != threading.current_thread().name


async def test_a_nested_write_in_the_same_task_fails_at_once(db: Database) -> None:
    """It would wait for the lock its own task holds: an error, not a 60 s hang."""
    async with db.write():
        with pytest.raises(RuntimeError, match="already holds"):
            await db.transaction(lambda s: s.execute(_COUNT))
        with pytest.raises(RuntimeError, match="already holds"):
            async with db.write():
                pass


async def test_the_two_writers_take_turns(db: Database) -> None:
    """Engine transactions and writer-thread transactions interleave without lock errors,
    and a task started inside a write transaction just waits its turn."""
    async def engine_writes(n: int) -> None:
        for i in range(n):
            async with db.write() as conn:
                await conn.execute(_insert(f"engine-{i}"))
                await asyncio.sleep(0)

    async def thread_writes(prefix: str, n: int) -> None:
        for i in range(n):
            await db.transaction(lambda s, i=i: s.execute(_insert(f"{prefix}-{i}")))

    async with db.write() as conn:
        spawned = asyncio.create_task(thread_writes("spawned", 5))  # waits for this transaction
        await conn.execute(_insert("outer"))
    await asyncio.gather(spawned, engine_writes(40), thread_writes("thread", 40))
    assert (await db.fetch(_COUNT)).scalar() == 86


async def test_statements_compile_once_and_in_lists_are_refused() -> None:
    stmt = sa.select(user_profiles.c.user_id).where(user_profiles.c.user_id == sa.bindparam("u"))
    assert compiled(stmt, ("u",)) is compiled(stmt, ("u",))
    with pytest.raises(ValueError, match="IN lists"):
        compiled(sa.select(user_profiles.c.user_id)
                 .where(user_profiles.c.user_id.in_(["a", "b"])))


async def test_the_writer_reopens_after_dispose(db: Database) -> None:
    await db.transaction(lambda s: s.execute(_insert("before")))
    await db.dispose()
    await db.transaction(lambda s: s.execute(_insert("after")))
    assert (await db.fetch(_COUNT)).scalar() == 2
