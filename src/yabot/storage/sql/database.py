"""The relational store: SQLAlchemy 2 async engines for SQLite (default) or PostgreSQL.

SQLite has one writer: write transactions run on `SqliteWriter`'s thread and connection
(`BEGIN IMMEDIATE`), either as SQLAlchemy statements one hop each (`write()`, see
sqlite_connection.py) or whole in one hop (`transaction()`); they take turns at one
in-process gate. Reads run on a few reader threads, one hop per statement. The async engine
is kept for schema work. On PostgreSQL one pooled async engine does everything.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql.base import Executable

from yabot.settings import StorageSettings
from yabot.storage.sql.sqlite_connection import DirectConnection
from yabot.storage.sql.sqlite_direct import (
    BUSY_TIMEOUT_MS,
    SqliteWriter,
    prepare_engine,
    run_on,
)
from yabot.storage.sql.statements import EngineSession, Rows, Session, Values, result_rows
from yabot.storage.sql.unit_of_work import UnitOfWork, joined

SQLITE_BUSY_TIMEOUT_MS = BUSY_TIMEOUT_MS
READER_THREADS = 3  # SQLite reads in parallel (WAL); the GIL bounds more threads' worth
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


_HOLDER: contextvars.ContextVar[tuple[WriteGate, asyncio.Task[Any] | None] | None] = \
    contextvars.ContextVar("sqlite_write_gate_holder", default=None)


class WriteGate:
    """One SQLite writer per process: the engine's writer and the writer thread take turns
    here in arrival order (rather than polling SQLite's busy handler). A task that already
    holds the gate and asks again would wait for itself: it gets an error instead."""

    def __init__(self, timeout: float = 60.0) -> None:
        self.timeout = timeout  # as the writer pool's: a wait this long is a bug, not load
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary())

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        me = (self, asyncio.current_task())
        if _HOLDER.get() == me:
            raise RuntimeError("this task already holds the SQLite write transaction; "
                               "a second one would wait for itself (nest nothing, or pass conn)")
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        try:
            async with asyncio.timeout(self.timeout):
                await lock.acquire()
        except TimeoutError:
            raise TimeoutError(f"waited {self.timeout:.0f} s for the SQLite writer") from None
        token = _HOLDER.set(me)
        try:
            yield
        finally:
            _HOLDER.reset(token)
            lock.release()


class Database:
    """Owns the engines (and on SQLite the writer thread); hands out short transactions."""

    def __init__(self, url: str, *, pool: PoolConfig | None = None) -> None:
        pool = pool or PoolConfig()
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        common: dict[str, Any] = {"pool_recycle": pool.recycle, "pool_pre_ping": not self.is_sqlite}
        self._direct: SqliteWriter | None = None
        self._readers: list[SqliteWriter] = []
        self._next_reader = itertools.count()
        self._gate: WriteGate | None = None
        if self.is_sqlite:
            database = self.url.database or ""
            if not database or database == ":memory:":
                raise ValueError("SQLite needs a database file (several connections share it)")
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            self._direct, self._gate = SqliteWriter(database), WriteGate()
            self._readers = [SqliteWriter(database, begin_immediate=False,
                                          name=f"sqlite-reader-{i}")
                             for i in range(READER_THREADS)]
            # the engine is for schema work (migrations, `engine`); transactions and reads
            # run on the threads above (sqlite_connection.py)
            self._writer = create_async_engine(
                self.url, pool_size=1, max_overflow=0, pool_timeout=60,
                pool_reset_on_return=None, **common)
            prepare_engine(self._writer, begin_immediate=True)
            self._reader = self._writer
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

    async def _ready(self) -> None:
        """SQLite: the writer thread connects first and switches the file to WAL."""
        if self._direct is not None and not self._direct.opened:
            await self._direct.open()

    def unit_of_work(self) -> UnitOfWork:
        """A unit of work on this database for the current task (unit_of_work.py)."""
        return UnitOfWork(self, self._own_write)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction: committed on exit, rolled back on error (inside the task's
        unit of work: a block of it)."""
        if (uow := joined(self)) is not None:
            async with uow.block() as conn:
                yield conn
            return
        async with self._own_write() as conn:
            yield conn

    @asynccontextmanager
    async def _own_write(self) -> AsyncIterator[AsyncConnection]:
        if self._gate is None:
            async with self._writer.begin() as conn:
                yield conn
            return
        assert self._direct is not None
        await self._ready()
        async with self._gate.hold():
            direct = DirectConnection(self._direct)
            try:  # repositories use what it shares with AsyncConnection (sqlite_connection.py)
                yield cast(AsyncConnection, direct)
            except BaseException:
                direct.rollback_soon()
                raise
            await direct.commit()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read connection (on SQLite each statement reads the latest commit, in one hop
        to one of the reader threads: statements of concurrent reads interleave there)."""
        await self._ready()
        if (uow := joined(self)) is not None and uow.conn is not None:
            yield uow.conn  # the unit of work's writes are visible
            return
        if self._readers:
            reader = self._readers[next(self._next_reader) % len(self._readers)]
            yield cast(AsyncConnection, DirectConnection(reader))
            return
        async with self._reader.connect() as conn:
            yield conn

    async def transaction(self, fn: Callable[[Session], T]) -> T:
        """Run `fn`'s Core statements as one short write transaction: on SQLite in one hop
        to the writer thread (`fn` runs there: keep it short, no I/O but the statements);
        elsewhere through `run_sync` on a write connection."""
        if (uow := joined(self)) is not None:
            return await uow.run(fn)
        if self._direct is None or self._gate is None:
            async with self.write() as conn:
                return await conn.run_sync(lambda sync: fn(EngineSession(sync)))
        async with self._gate.hold():
            return await self._direct.run(fn)

    async def fetch(self, statement: Executable, values: Values | None = None) -> Rows:
        """One read statement on a reader connection (one hop on SQLite)."""
        async with self.read() as conn:
            return await execute(conn, statement, values)

    async def ping(self) -> None:
        async with self.read() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self._reader.dispose()
        if self._writer is not self._reader:
            await self._writer.dispose()
        for thread in [*self._readers, *([self._direct] if self._direct else [])]:
            await thread.close()


async def execute(conn: AsyncConnection, statement: Executable,
                  values: Values | None = None) -> Rows:
    """One statement on `conn`, in its transaction if one is open; on SQLite in one hop."""
    if isinstance(conn, DirectConnection):
        return result_rows(await conn.execute(statement, values))
    if conn.dialect.name == "sqlite":
        return await run_on(conn, statement, values)
    return result_rows(await conn.execute(statement, dict(values) if values else None))
