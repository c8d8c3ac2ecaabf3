"""The relational store: SQLAlchemy 2 async engines for SQLite (default) or PostgreSQL.

SQLite has one writer, so writes go through a one-connection writer engine that opens
every transaction with `BEGIN IMMEDIATE`, while reads use their own pool. On PostgreSQL
both roles share one pooled engine.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.util.concurrency import await_

from yabot.settings import StorageSettings

SQLITE_BUSY_TIMEOUT_MS = 30_000
T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class PoolConfig:
    """Connection pool sizing (seed design: 20 + 30 overflow, 10 s wait, 1 h recycle)."""

    size: int = 20
    max_overflow: int = 30
    timeout: float = 10.0
    recycle: int = 3600


def sql_url(settings: StorageSettings) -> str:
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    return f"sqlite+aiosqlite:///{settings.sqlite_database_path}"


def _enable_wal(cur: Any) -> None:
    """Switch a file to WAL. SQLite answers "locked" without calling the busy handler while
    another process converts a fresh file, so retry here for up to the busy timeout."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except Exception as exc:  # the dialect wraps sqlite3.OperationalError
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        await_(asyncio.sleep(0.02))  # yields the loop: we run in SQLAlchemy's greenlet


def _sqlite_pragmas(engine: AsyncEngine, begin: str | None) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _enable_wal(cur)
        for pragma in ("foreign_keys=ON", "synchronous=NORMAL"):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    if begin is None:
        return  # autocommit reads: each statement sees the latest commit (WAL snapshot)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # one hop to the driver thread (exec_driver_sql would take three)
        driver = conn.connection.dbapi_connection.driver_connection
        await_(driver._execute(driver._conn.execute, begin))


def _in_transaction(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = fn(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result


def _plain(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    return fn(conn)


class Database:
    """Owns the engines; hands out short read and write transactions."""

    def __init__(self, url: str, *, pool: PoolConfig | None = None) -> None:
        pool = pool or PoolConfig()
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        common: dict[str, Any] = {"pool_recycle": pool.recycle, "pool_pre_ping": not self.is_sqlite}
        if self.is_sqlite:
            database = self.url.database or ""
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            # reads run in autocommit: no BEGIN/ROLLBACK round trips to aiosqlite's thread
            self._reader = create_async_engine(
                self.url, pool_size=pool.size, max_overflow=pool.max_overflow,
                pool_timeout=pool.timeout, pool_reset_on_return=None, **common)
            # one writer connection per process; waiting writers queue on the pool
            self._writer = create_async_engine(
                self.url, pool_size=1, max_overflow=0, pool_timeout=60,
                pool_reset_on_return=None, **common)
            _sqlite_pragmas(self._reader, None)
            _sqlite_pragmas(self._writer, "BEGIN IMMEDIATE")
        else:
            self._reader = create_async_engine(
                self.url, pool_size=pool.size, max_overflow=pool.max_overflow,
                pool_timeout=pool.timeout, **common)
            self._writer = self._reader

    @classmethod
    def from_settings(cls, settings: StorageSettings) -> Database:
        return cls(sql_url(settings))

    @property
    def engine(self) -> AsyncEngine:
        """The engine for schema work and writes."""
        return self._writer

    @property
    def backend(self) -> str:
        return "sqlite" if self.is_sqlite else "postgresql"

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction: committed on exit, rolled back on error."""
        async with self._writer.begin() as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read connection (on SQLite each statement reads the latest commit)."""
        async with self._reader.connect() as conn:
            yield conn

    async def run_sqlite(self, fn: Callable[[sqlite3.Connection], T], *, write: bool) -> T:
        """SQLite only: run `fn` on the driver's thread in one hop instead of several per
        statement. With `write`, on the writer inside one `BEGIN IMMEDIATE` transaction;
        otherwise on a reader connection (autocommit).
        """
        assert self.is_sqlite, "run_sqlite is for SQLite"
        async with (self._writer if write else self._reader).connect() as conn:
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection
            call = _in_transaction if write else _plain
            return await driver._execute(call, driver._conn, fn)  # type: ignore[no-any-return]

    @staticmethod
    async def run_sqlite_on(conn: AsyncConnection, fn: Callable[[sqlite3.Connection], T]) -> T:
        """SQLite only: run `fn` in one hop on `conn`'s driver thread, inside its transaction."""
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        return await driver._execute(_plain, driver._conn, fn)  # type: ignore[no-any-return]

    async def ping(self) -> None:
        async with self._reader.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self._reader.dispose()
        if self._writer is not self._reader:
            await self._writer.dispose()
