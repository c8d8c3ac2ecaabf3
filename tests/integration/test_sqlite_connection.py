"""`Database.write()` on SQLite: SQLAlchemy statements on the writer thread, one transaction,
committed whole or not at all (also when the caller is cancelled)."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.storage.sql.database import Database, execute
from yabot.storage.sql.sqlite_connection import DirectConnection
from yabot.storage.sql.tables import dead_letters, user_profiles

_USERS = sa.select(user_profiles.c.user_id).order_by(user_profiles.c.user_id)


def _row(uid: str, tg: int) -> dict[str, object]:
    return {"user_id": uid, "telegram_user_id": tg}


async def _users(db: Database) -> list[str]:
    return (await db.fetch(_USERS)).scalars()


async def test_rows_keep_sqlalchemys_result_api(db: Database) -> None:
    async with db.write() as conn:
        assert isinstance(conn, DirectConnection)
        inserted = await conn.execute(user_profiles.insert().values(user_id="u1",
                                                                    telegram_user_id=1))
        assert inserted.rowcount == 1
        event = await conn.execute(dead_letters.insert().values(
            event_id="e1", event_type="t", consumer_group="g", event_data="{}", error="x",
            attempts=1))
        assert event.inserted_primary_key is not None and event.inserted_primary_key[0] >= 1
        await conn.execute(user_profiles.insert(), [_row("u2", 2), _row("u3", 3)])  # many
        u = user_profiles.c
        row = (await conn.execute(sa.select(u.user_id, u.registration_date, u.is_active)
                                  .where(u.user_id == "u2"))).first()
        assert row is not None and row.user_id == "u2"
        assert row.registration_date.year >= 2026 and row.is_active is True  # typed
        listed = (await conn.execute(sa.select(user_profiles.c.user_id)
                                     .where(user_profiles.c.user_id.in_(["u1", "u3"]))
                                     .order_by(user_profiles.c.user_id))).scalars().all()
        assert listed == ["u1", "u3"]
        mapped = (await conn.execute(_USERS)).mappings().all()
        assert [m["user_id"] for m in mapped] == ["u1", "u2", "u3"]
        gone = await conn.execute(user_profiles.delete().where(user_profiles.c.user_id == "u3"))
        assert gone.rowcount == 1
        assert (await execute(conn, _USERS)).scalars() == ["u1", "u2"]
    assert await _users(db) == ["u1", "u2"]


async def test_an_error_rolls_the_whole_transaction_back(db: Database) -> None:
    with pytest.raises(IntegrityError):
        async with db.write() as conn:
            await conn.execute(user_profiles.insert(), [_row("a", 1)])
            await conn.execute(user_profiles.insert(), [_row("a", 2)])  # duplicate key
    assert await _users(db) == []
    async with db.write() as conn:  # the writer is usable again
        await conn.execute(user_profiles.insert(), [_row("b", 3)])
    assert await _users(db) == ["b"]


async def test_a_cancelled_writer_leaves_nothing_and_the_next_one_commits(db: Database) -> None:
    started = asyncio.Event()

    async def write_then_hang() -> None:
        async with db.write() as conn:
            await conn.execute(user_profiles.insert(), [_row("lost", 1)])
            started.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(write_then_hang())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with db.write() as conn:
        await conn.execute(user_profiles.insert(), [_row("kept", 2)])
    assert await _users(db) == ["kept"]


async def test_readers_do_not_see_an_open_transaction(db: Database) -> None:
    async with db.write() as conn:
        await conn.execute(user_profiles.insert(), [_row("pending", 1)])
        assert await _users(db) == []
    assert await _users(db) == ["pending"]


async def test_an_empty_transaction_costs_nothing_and_commits_nothing(db: Database) -> None:
    async with db.write() as conn:
        assert not conn.in_transaction()
    assert await _users(db) == []


async def test_inline_runs_async_repository_code_in_one_hop(db: Database) -> None:
    hops: list[str] = []
    async with db.write() as conn:
        assert isinstance(conn, DirectConnection)
        real = conn._writer.on_connection

        async def counted(*args: object) -> object:
            hops.append("hop")
            return await real(*args)  # type: ignore[arg-type]

        conn._writer.on_connection = counted  # type: ignore[method-assign]
        try:
            async def work(inner: AsyncConnection) -> list[str]:
                await inner.execute(user_profiles.insert(), [_row("u1", 1), _row("u2", 2)])
                await execute(inner, user_profiles.insert().values(_row("u3", 3)))
                return (await inner.execute(_USERS)).scalars().all()  # its own writes
            assert await conn.inline(work) == ["u1", "u2", "u3"]
        finally:
            del conn._writer.on_connection
    assert hops == ["hop"]  # three statements, one crossing
    assert await _users(db) == ["u1", "u2", "u3"]


async def test_inline_work_that_awaits_anything_else_is_refused_and_rolled_back(
        db: Database) -> None:
    async def work(inner: AsyncConnection) -> None:
        await inner.execute(user_profiles.insert().values(_row("u1", 1)))
        await asyncio.sleep(0)  # would suspend: not on the writer thread

    with pytest.raises(RuntimeError, match="awaited something other"):
        async with db.write() as conn:
            await conn.inline(work)  # type: ignore[attr-defined]
    assert await _users(db) == []
