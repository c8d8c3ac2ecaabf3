"""SQLite specifics of the relational store: pragmas, the single writer, several processes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.settings import StorageSettings
from yabot.storage.sql import tables
from yabot.storage.sql.database import SQLITE_BUSY_TIMEOUT_MS, Database
from yabot.storage.sql.migrate import code_head, current_revision, migrate

WORKER = Path(__file__).with_name("sqlite_worker.py")
PROCESS_TIMEOUT = 180


def _url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "yabot.db"


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    database = Database(_url(db_path))
    await migrate(database)
    try:
        yield database
    finally:
        await database.dispose()


async def _pragma(conn: AsyncConnection, name: str) -> object:
    return (await conn.execute(sa.text(f"PRAGMA {name}"))).scalar_one()


# --- pragmas --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["read", "write"])
async def test_connections_use_wal_busy_timeout_and_foreign_keys(db: Database,
                                                                 role: str) -> None:
    async with (db.read() if role == "read" else db.write()) as conn:
        assert str(await _pragma(conn, "journal_mode")).lower() == "wal"
        assert await _pragma(conn, "busy_timeout") == SQLITE_BUSY_TIMEOUT_MS
        assert await _pragma(conn, "foreign_keys") == 1


async def test_wal_mode_is_persistent_in_the_file(db: Database, db_path: Path) -> None:
    """Other tools (sqlite3 CLI, backups) see the file in WAL mode too."""
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"


async def test_nested_path_parent_directories_are_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "c" / "yabot.db"
    database = Database.from_settings(StorageSettings(sqlite_database_path=path))
    try:
        assert path.parent.is_dir()
        await migrate(database)
        assert await current_revision(database) == code_head()
    finally:
        await database.dispose()
    assert path.is_file()


# --- the single writer ----------------------------------------------------------------


async def test_write_takes_the_write_lock_at_begin(db: Database, db_path: Path) -> None:
    """BEGIN IMMEDIATE: even a write transaction that has only read holds the lock,
    so a read-then-write transaction can never fail on lock upgrade."""
    async with db.write() as conn:
        await conn.execute(sa.select(sa.func.count()).select_from(tables.user_profiles))
        other = sqlite3.connect(db_path, timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()

    other = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # released at commit
        other.execute("ROLLBACK")
    finally:
        other.close()


async def test_readers_are_not_blocked_by_an_open_write(db: Database) -> None:
    count = sa.select(sa.func.count()).select_from(tables.user_profiles)
    async with db.write() as conn:
        await conn.execute(tables.user_profiles.insert().values(user_id="u1",
                                                                telegram_user_id=1))
        async with db.read() as reader:
            assert (await reader.execute(count)).scalar_one() == 0  # last committed snapshot
    async with db.read() as reader:
        assert (await reader.execute(count)).scalar_one() == 1


# --- several OS processes on one file -------------------------------------------------


def _spawn(*args: object, cwd: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), *map(str, args)], cwd=cwd, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    line = proc.stdout.readline()  # "ready" once its Database is built
    if line.strip() != "ready":
        _, err = proc.communicate(timeout=PROCESS_TIMEOUT)
        pytest.fail(f"worker {args} did not start (exit {proc.returncode}): {line}{err}")
    return proc


def _run_together(procs: list[subprocess.Popen[str]]) -> list[tuple[int, dict[str, object], str]]:
    """Release every process at once; wait for all; (exit code, result, stderr) each."""
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = []
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=PROCESS_TIMEOUT)
        except subprocess.TimeoutExpired:
            for p in procs:
                p.kill()
            pytest.fail(f"a worker did not finish within {PROCESS_TIMEOUT} s")
        last = out.strip().splitlines()[-1] if out.strip() else "{}"
        results.append((proc.returncode, json.loads(last) if last.startswith("{") else {}, err))
    return results


@pytest.mark.slow
@pytest.mark.parametrize("concurrency", [1, 4])
async def test_two_processes_write_one_file_at_once(db: Database, db_path: Path,
                                                    tmp_path: Path, concurrency: int) -> None:
    per_process = 300
    procs = [_spawn("write", db_path, worker, per_process, concurrency, cwd=tmp_path)
             for worker in (1, 2)]

    results = _run_together(procs)

    for code, result, err in results:
        assert code == 0, err
        assert "database is locked" not in err
        assert result["written"] == per_process, (result, err)
    async with db.read() as conn:
        total = (await conn.execute(
            sa.select(sa.func.count()).select_from(tables.user_profiles))).scalar_one()
        distinct_ids = (await conn.execute(sa.select(
            sa.func.count(sa.distinct(tables.user_profiles.c.telegram_user_id))))).scalar_one()
    assert total == distinct_ids == 2 * per_process


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(3))
async def test_two_processes_migrate_a_fresh_file_at_once(tmp_path: Path, round_: int) -> None:
    path = tmp_path / "fresh" / "yabot.db"
    assert not path.exists()
    procs = [_spawn("migrate", path, cwd=tmp_path) for _ in range(2)]

    results = _run_together(procs)

    for code, result, err in results:
        assert code == 0, err
        assert "database is locked" not in err
        assert result["after"] == result["current"] == code_head(), result
    # exactly one of them did the work; the other found the schema already at head
    assert sorted((r["before"] is None) for _, r, _ in results) == [False, True]

    database = Database(_url(path))
    try:
        assert await current_revision(database) == code_head()
        assert await migrate(database) == (code_head(), code_head())
        async with database.read() as conn:
            names = set(await conn.run_sync(lambda c: sa.inspect(c).get_table_names()))
        assert names == set(tables.metadata.tables) | {"alembic_version"}
    finally:
        await database.dispose()
