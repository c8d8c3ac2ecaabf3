"""Contract of `Database.transaction`, `Database.fetch` and `execute`: Core statements with
the same results on SQLite (the one-hop fast path) and on PostgreSQL (the engine)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from yabot.domain.clock import as_utc
from yabot.storage.sql.database import Database, execute
from yabot.storage.sql.migrate import migrate
from yabot.storage.sql.statements import Session
from yabot.storage.sql.tables import outbox, user_profiles

_PROFILE = user_profiles.insert()
_GET = (sa.select(user_profiles.c.user_id, user_profiles.c.registration_date,
                  user_profiles.c.is_active)
        .where(user_profiles.c.user_id == sa.bindparam("uid")))
_COUNT = sa.select(sa.func.count()).select_from(user_profiles)
_DELETE = (user_profiles.delete().where(user_profiles.c.user_id == sa.bindparam("uid"))
           .returning(user_profiles.c.user_id))
WHEN = datetime(2026, 5, 4, 3, 2, 1, 123456, tzinfo=UTC)


@pytest.fixture
async def db(relational_url: str) -> AsyncIterator[Database]:
    database = Database(relational_url)
    await migrate(database)
    try:
        yield database
    finally:
        await database.dispose()


def _row(uid: str, tg: int) -> dict[str, object]:
    return {"user_id": uid, "telegram_user_id": tg, "registration_date": WHEN,
            "is_active": False}


async def test_a_transaction_commits_its_statements_and_returns_fn_result(db: Database) -> None:
    def insert(session: Session) -> int:
        session.executemany(_PROFILE, [_row("a", 1), _row("b", 2)])
        return int(session.execute(_COUNT).scalar())

    assert await db.transaction(insert) == 2
    found = await db.fetch(_GET, {"uid": "a"})
    assert len(found.rows) == 1
    uid, registered, active = found.rows[0]
    assert (uid, as_utc(registered), active) == ("a", WHEN, False)  # types processed


async def test_a_failing_transaction_leaves_nothing(db: Database) -> None:
    def half(session: Session) -> None:
        session.execute(_PROFILE, _row("a", 1))
        session.execute(_PROFILE, _row("a", 2))  # duplicate primary key

    with pytest.raises(IntegrityError):  # SQLAlchemy's error on both backends
        await db.transaction(half)
    assert (await db.fetch(_COUNT)).scalar() == 0
    # the writer is usable afterwards
    await db.transaction(lambda s: s.execute(_PROFILE, _row("c", 3)))
    assert (await db.fetch(_COUNT)).scalar() == 1


async def test_execute_runs_inside_the_callers_transaction(db: Database) -> None:
    await db.transaction(lambda s: s.execute(_PROFILE, _row("a", 1)))
    with pytest.raises(RuntimeError, match="abort"):
        async with db.write() as conn:
            gone = await execute(conn, _DELETE, {"uid": "a"})
            assert gone.scalars() == ["a"]
            raise RuntimeError("abort")
    assert (await db.fetch(_GET, {"uid": "a"})).scalar() == "a"  # rolled back with it

    async with db.write() as conn:
        assert (await execute(conn, _DELETE, {"uid": "a"})).scalars() == ["a"]
        assert (await execute(conn, _DELETE, {"uid": "a"})).rows == []
    assert (await db.fetch(_GET, {"uid": "a"})).first() is None


async def test_statement_defaults_and_booleans_round_trip(db: Database) -> None:
    mark = (outbox.update().where(outbox.c.id == sa.bindparam("row_id"))
            .values(sent=True, sent_at=sa.bindparam("now")))
    await db.transaction(lambda s: s.executemany(outbox.insert(), [
        {"event_id": f"e{i}", "event_type": "t", "partition_key": None, "data": "{}"}
        for i in range(3)]))
    ids = (await db.fetch(sa.select(outbox.c.id).order_by(outbox.c.id))).scalars()
    await db.transaction(lambda s: s.executemany(
        mark, [{"row_id": i, "now": WHEN} for i in ids[:2]]))
    found = await db.fetch(sa.select(outbox.c.sent, outbox.c.sent_at).order_by(outbox.c.id))
    assert [r[0] for r in found.rows] == [True, True, False]
    assert as_utc(found.rows[0][1]) == WHEN and found.rows[2][1] is None
