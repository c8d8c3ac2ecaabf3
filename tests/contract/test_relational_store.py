"""Contract of the relational store: every test runs on SQLite and on PostgreSQL.

The schema comes only from the packaged Alembic migrations (`migrate()`), never from
`metadata.create_all`, so these tests also prove the migrations match `tables.py`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from yabot.domain.errors import SchemaError
from yabot.storage.sql import tables
from yabot.storage.sql.database import Database
from yabot.storage.sql.migrate import code_head, current_revision, migrate

SEED_COLUMNS = {
    "user_profiles": {"user_id", "telegram_user_id", "username", "first_name", "last_name",
                      "language_code", "registration_date", "last_login", "is_active"},
    "subscriptions": {"id", "user_id", "plan_type", "status", "start_date", "end_date",
                      "created_at", "updated_at"},
}


@pytest.fixture
async def db(relational_url: str) -> AsyncIterator[Database]:
    database = Database(relational_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def migrated(db: Database) -> Database:
    await migrate(db)
    return db


async def _schema(db: Database) -> dict[str, Any]:
    def inspect(conn: sa.Connection) -> dict[str, Any]:
        insp = sa.inspect(conn)
        names = set(insp.get_table_names())
        return {
            "tables": names,
            # plain values, so two snapshots compare (type objects do not compare equal)
            "columns": {t: {c["name"]: {"type": str(c["type"]), "nullable": c["nullable"]}
                            for c in insp.get_columns(t)} for t in names},
            "indexes": {t: sorted((i["name"], tuple(i["column_names"]))
                                  for i in insp.get_indexes(t)) for t in names},
            "fks": {t: insp.get_foreign_keys(t) for t in names},
            "pks": {t: insp.get_pk_constraint(t)["constrained_columns"] for t in names},
        }

    async with db.read() as conn:
        return await conn.run_sync(inspect)


def _profile(user_id: str, telegram_user_id: int, **extra: Any) -> dict[str, Any]:
    return {"user_id": user_id, "telegram_user_id": telegram_user_id, "username": user_id,
            "first_name": "Ana", "language_code": "es", **extra}


def _subscription(user_id: str, **extra: Any) -> dict[str, Any]:
    return {"user_id": user_id, "plan_type": "vip", "status": "active",
            "start_date": datetime(2025, 1, 1, tzinfo=UTC), **extra}


async def _insert(db: Database, table: sa.Table, row: dict[str, Any]) -> None:
    async with db.write() as conn:
        await conn.execute(table.insert().values(**row))


async def _count(db: Database, table: sa.Table) -> int:
    async with db.read() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one())


# --- migrations -----------------------------------------------------------------------


async def test_migrate_from_empty_creates_the_declared_schema(db: Database) -> None:
    assert await current_revision(db) is None
    assert (await _schema(db))["tables"] == set()

    before, after = await migrate(db)

    assert (before, after) == (None, code_head())
    schema = await _schema(db)
    # exactly what tables.py declares (today: the seed tables), plus Alembic's bookkeeping
    assert schema["tables"] == set(tables.metadata.tables) | {"alembic_version"}
    assert {"user_profiles", "subscriptions"} <= schema["tables"]
    for table, columns in SEED_COLUMNS.items():
        assert columns <= set(schema["columns"][table]), table
    assert schema["pks"]["user_profiles"] == ["user_id"]
    assert schema["pks"]["subscriptions"] == ["id"]
    assert not schema["columns"]["user_profiles"]["telegram_user_id"]["nullable"]
    for required in ("user_id", "plan_type", "status", "start_date"):
        assert not schema["columns"]["subscriptions"][required]["nullable"], required
    assert [(fk["constrained_columns"], fk["referred_table"], fk["referred_columns"])
            for fk in schema["fks"]["subscriptions"]] == [
        (["user_id"], "user_profiles", ["user_id"])]


async def test_migrations_match_tables_py(migrated: Database) -> None:
    """No drift between the migrations and the SQLAlchemy metadata the code queries with."""
    async with migrated.read() as conn:
        diff = await conn.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c), tables.metadata))
    assert diff == []


async def test_migrate_again_is_a_noop(migrated: Database) -> None:
    await _insert(migrated, tables.user_profiles, _profile("u1", 1))
    schema = await _schema(migrated)

    assert await migrate(migrated) == (code_head(), code_head())

    assert await _schema(migrated) == schema
    assert await _count(migrated, tables.user_profiles) == 1


async def test_current_revision(db: Database) -> None:
    assert await current_revision(db) is None
    await migrate(db)
    assert await current_revision(db) == code_head()


async def test_schema_newer_than_code_is_refused(migrated: Database) -> None:
    async with migrated.write() as conn:
        await conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))

    with pytest.raises(SchemaError, match="newer") as info:
        await migrate(migrated)

    assert "9999_future" in str(info.value)
    assert await current_revision(migrated) == "9999_future"  # left untouched


# --- constraints ----------------------------------------------------------------------


@pytest.mark.parametrize(("column", "value"), [("plan_type", "gold"), ("status", "paused")])
async def test_check_constraints_reject_bad_values(migrated: Database, column: str,
                                                   value: str) -> None:
    await _insert(migrated, tables.user_profiles, _profile("u1", 1))

    with pytest.raises(IntegrityError):
        await _insert(migrated, tables.subscriptions, _subscription("u1", **{column: value}))

    assert await _count(migrated, tables.subscriptions) == 0


@pytest.mark.parametrize("plan_type", ["free", "premium", "vip"])
@pytest.mark.parametrize("status", ["active", "inactive", "cancelled", "expired"])
async def test_check_constraints_accept_the_seed_values(migrated: Database, plan_type: str,
                                                        status: str) -> None:
    await _insert(migrated, tables.user_profiles, _profile("u1", 1))
    await _insert(migrated, tables.subscriptions,
                  _subscription("u1", plan_type=plan_type, status=status))
    assert await _count(migrated, tables.subscriptions) == 1


async def test_foreign_key_rejects_unknown_user(migrated: Database) -> None:
    with pytest.raises(IntegrityError):
        await _insert(migrated, tables.subscriptions, _subscription("nobody"))

    assert await _count(migrated, tables.subscriptions) == 0


async def test_foreign_key_rejects_deleting_a_user_with_subscriptions(
        migrated: Database) -> None:
    await _insert(migrated, tables.user_profiles, _profile("u1", 1))
    await _insert(migrated, tables.subscriptions, _subscription("u1"))

    with pytest.raises(IntegrityError):
        async with migrated.write() as conn:
            await conn.execute(tables.user_profiles.delete())

    assert await _count(migrated, tables.user_profiles) == 1


async def test_telegram_user_id_is_unique(migrated: Database) -> None:
    await _insert(migrated, tables.user_profiles, _profile("u1", 42))

    with pytest.raises(IntegrityError):
        await _insert(migrated, tables.user_profiles, _profile("u2", 42))

    assert await _count(migrated, tables.user_profiles) == 1


async def test_user_id_is_the_primary_key(migrated: Database) -> None:
    await _insert(migrated, tables.user_profiles, _profile("u1", 1))

    with pytest.raises(IntegrityError):
        await _insert(migrated, tables.user_profiles, _profile("u1", 2))


@pytest.mark.parametrize("telegram_user_id", [2**31, 2**31 + 1, 7_123_456_789, 2**62])
async def test_large_telegram_ids_round_trip(migrated: Database, telegram_user_id: int) -> None:
    await _insert(migrated, tables.user_profiles, _profile("big", telegram_user_id))

    async with migrated.read() as conn:
        got = (await conn.execute(
            sa.select(tables.user_profiles.c.telegram_user_id)
            .where(tables.user_profiles.c.telegram_user_id == telegram_user_id))).scalar_one()

    assert got == telegram_user_id
    assert isinstance(got, int)


async def test_server_defaults_apply(migrated: Database) -> None:
    await _insert(migrated, tables.user_profiles, _profile("u1", 1))

    async with migrated.read() as conn:
        row = (await conn.execute(sa.select(tables.user_profiles))).mappings().one()

    assert row["is_active"] is True
    assert row["registration_date"] is not None
    assert row["last_login"] is None


# --- transactions ---------------------------------------------------------------------


async def test_write_commits_on_success(migrated: Database) -> None:
    async with migrated.write() as conn:
        await conn.execute(tables.user_profiles.insert().values(**_profile("u1", 1)))
        await conn.execute(tables.subscriptions.insert().values(**_subscription("u1")))

    assert await _count(migrated, tables.user_profiles) == 1
    assert await _count(migrated, tables.subscriptions) == 1


async def test_write_rolls_back_on_exception(migrated: Database) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with migrated.write() as conn:
            await conn.execute(tables.user_profiles.insert().values(**_profile("u1", 1)))
            await conn.execute(tables.subscriptions.insert().values(**_subscription("u1")))
            # visible inside the transaction ...
            assert (await conn.execute(
                sa.select(sa.func.count()).select_from(tables.user_profiles))).scalar_one() == 1
            raise Boom

    # ... and gone afterwards, for readers and for the next writer
    assert await _count(migrated, tables.user_profiles) == 0
    assert await _count(migrated, tables.subscriptions) == 0
    await _insert(migrated, tables.user_profiles, _profile("u1", 1))
    assert await _count(migrated, tables.user_profiles) == 1


async def test_failed_statement_rolls_back_the_whole_transaction(migrated: Database) -> None:
    with pytest.raises(IntegrityError):
        async with migrated.write() as conn:
            await conn.execute(tables.user_profiles.insert().values(**_profile("u1", 1)))
            await conn.execute(tables.subscriptions.insert().values(**_subscription("nobody")))

    assert await _count(migrated, tables.user_profiles) == 0


async def test_ping(migrated: Database) -> None:
    await migrated.ping()
