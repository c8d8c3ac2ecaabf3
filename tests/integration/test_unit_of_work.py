"""An update's unit of work on SQLite and PostgreSQL: the writes made inside it (by any
number of `write()` / `transaction()` blocks) commit together or not at all, reads inside it
see them, a caught error undoes only its own block, and nothing outside joins it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
import sqlalchemy as sa

from yabot.storage.sql.database import Database
from yabot.storage.sql.statements import Session
from yabot.storage.sql.unit_of_work import detached, opened

md = sa.MetaData()
probe = sa.Table("uow_probe", md, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("v", sa.Text, nullable=False))


@pytest.fixture
async def db(relational_url: str) -> AsyncIterator[Database]:
    database = Database(relational_url)
    async with database.engine.begin() as conn:
        await conn.run_sync(md.create_all)
    try:
        yield database
    finally:
        await database.dispose()


async def insert(db: Database, i: int) -> None:
    async with db.write() as conn:
        await conn.execute(probe.insert().values(id=i, v=f"w{i}"))


def insert_sync(i: int) -> Callable[[Session], None]:
    def fn(session: Session) -> None:
        session.execute(probe.insert().values(id=i, v=f"t{i}"))
    return fn


async def ids(db: Database) -> list[int]:
    async with db.read() as conn:
        return sorted((await conn.execute(sa.select(probe.c.id))).scalars())


async def ids_elsewhere(db: Database) -> list[int]:
    """What another task reads (not joined)."""
    return await asyncio.create_task(ids(db))


async def test_blocks_commit_together_and_reads_inside_see_them(db: Database) -> None:
    uow, done = db.unit_of_work(), []
    with opened(uow):
        assert not uow.begun and await ids(db) == []
        await insert(db, 1)
        await db.transaction(insert_sync(2))
        await insert(db, 3)
        uow.on_commit(lambda: done.append("committed"))
        assert await ids(db) == [1, 2, 3]  # read-your-writes
        assert await ids_elsewhere(db) == []  # uncommitted for everyone else
        await uow.commit()
    assert done == []  # callbacks wait for the owner's `committed()`
    uow.committed()
    assert done == ["committed"] and await ids(db) == [1, 2, 3]


async def test_rollback_undoes_every_block_and_drops_callbacks(db: Database) -> None:
    uow, done = db.unit_of_work(), []
    with opened(uow):
        await insert(db, 1)
        await insert(db, 2)
        uow.on_commit(lambda: done.append("committed"))
        await uow.rollback()
    uow.committed()
    assert done == [] and await ids(db) == []
    await insert(db, 9)  # the writer is free again
    assert await ids(db) == [9]


async def test_a_caught_error_undoes_only_its_own_block(db: Database) -> None:
    uow = db.unit_of_work()
    with opened(uow):
        await insert(db, 1)
        with pytest.raises(RuntimeError):
            async with db.write() as conn:
                await conn.execute(probe.insert().values(id=2, v="x"))
                raise RuntimeError("caught by the caller")
        with pytest.raises(sa.exc.IntegrityError):
            await db.transaction(insert_sync(1))  # duplicate key
        await insert(db, 3)
        await uow.commit()
    assert await ids(db) == [1, 3]


async def test_an_error_in_the_first_block_leaves_it_unbegun(db: Database) -> None:
    uow = db.unit_of_work()
    with opened(uow):
        with pytest.raises(RuntimeError):
            async with db.write() as conn:
                await conn.execute(probe.insert().values(id=1, v="x"))
                raise RuntimeError("first block fails")
        assert not uow.begun
        await insert(db, 2)
        await uow.commit()
    assert await ids(db) == [2]


async def test_tasks_started_inside_do_not_join(db: Database) -> None:
    uow = db.unit_of_work()
    with opened(uow):
        await insert(db, 1)
        other = asyncio.create_task(insert(db, 2))  # copies the context, still its own
        if db.is_sqlite:  # one writer: it waits for the unit of work
            await asyncio.sleep(0.2)
            assert not other.done()
        else:
            await other
        await uow.rollback()
    await other
    assert await ids(db) == [2]


async def test_a_step_that_commits_alone_is_refused_once_begun(db: Database) -> None:
    uow = db.unit_of_work()
    with opened(uow):
        with detached():  # before any write: its own transaction, committed at once
            await insert(db, 1)
        assert not uow.begun and await ids_elsewhere(db) == [1]
        await insert(db, 2)
        with pytest.raises(RuntimeError, match="cannot run after the update has written"), \
                detached():
            pass
        await uow.commit()
    assert await ids(db) == [1, 2]


async def test_a_unit_of_work_is_per_database(db: Database, tmp_path: object) -> None:
    other = Database(f"sqlite+aiosqlite:///{tmp_path}/other.db")
    async with other.engine.begin() as conn:
        await conn.run_sync(md.create_all)
    try:
        uow = db.unit_of_work()
        with opened(uow):
            await insert(other, 1)  # not this unit of work's database: commits at once
            assert not uow.begun
            await uow.rollback()
        assert await ids(other) == [1]
    finally:
        await other.dispose()
