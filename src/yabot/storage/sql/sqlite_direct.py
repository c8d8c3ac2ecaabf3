"""SQLite's fast path: Core statements run on the driver directly, one thread hop at a time.

Why this module (the only one that touches the `sqlite3` driver): SQLAlchemy's async adapter
crosses to aiosqlite's thread three or four times per statement, plus BEGIN and COMMIT, and on
a busy 2-core machine every crossing is a context switch. Here a whole write transaction
crosses once, to `SqliteWriter`'s own thread and connection, and a single statement on an
engine connection crosses once (aiosqlite's public `execute_fetchall`). Measured with
`benchmarks/sqlite_paths.py`: an outbox insert transaction p50 0.69 ms through the async
engine vs 0.16 ms here (4.4x; docs/benchmarks.md). Statements are SQLAlchemy Core, compiled once
for the sqlite dialect, with their column types' bind and result processing; the only SQL
text here is transaction control and pragmas.
"""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.base import Executable

from yabot.storage.sql.statements import Rows, Session, Values
from yabot.storage.sql.worker_thread import WorkerThread

T = TypeVar("T")
BUSY_TIMEOUT_MS = 30_000
DIALECT = sqlite.dialect(paramstyle="named")
_Processor = Callable[[Any], Any]


class CompiledStatement:
    """A Core statement compiled for SQLite, with its parameters' and columns' processing."""

    def __init__(self, statement: Executable, keys: tuple[str, ...]) -> None:
        compiled = statement.compile(dialect=DIALECT, column_keys=list(keys))  # type: ignore[attr-defined]
        self.sql: str = compiled.string
        self._defaults: dict[str, Any] = {}
        self._binds: dict[str, _Processor] = {}
        for bind, name in compiled.bind_names.items():
            if bind.expanding:
                raise ValueError(f"IN lists are not supported on the SQLite fast path ({name})")
            if not bind.required:
                self._defaults[name] = bind.effective_value
            processor = bind.type.dialect_impl(DIALECT).bind_processor(DIALECT)
            if processor is not None:
                self._binds[name] = processor
        columns = getattr(statement, "exported_columns", ())
        processors = [c.type.dialect_impl(DIALECT).result_processor(DIALECT, None)
                      for c in columns]
        self._results = processors if any(processors) else None

    def params(self, values: Values | None) -> dict[str, Any]:
        merged = {**self._defaults, **values} if values else dict(self._defaults)
        for name, process in self._binds.items():
            if name in merged:
                merged[name] = process(merged[name])
        return merged

    def rows(self, raw: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        procs = self._results
        if procs is None:
            return [tuple(r) for r in raw]
        return [tuple(v if p is None else p(v) for p, v in zip(procs, r, strict=True))
                for r in raw]


@functools.lru_cache(maxsize=512)
def compiled(statement: Executable, keys: tuple[str, ...] = ()) -> CompiledStatement:
    """The statement compiled once per set of parameter names (as SQLAlchemy compiles it)."""
    return CompiledStatement(statement, keys)


def _compiled_for(statement: Executable, values: Values | None) -> CompiledStatement:
    return compiled(statement, tuple(sorted(values)) if values else ())


def _db_error(error: sqlite3.Error, sql: str, params: Any) -> exc.StatementError:
    """The driver's error as SQLAlchemy's (IntegrityError, OperationalError, ...)."""
    return exc.DBAPIError.instance(sql, params, error, sqlite3.Error)


class SqliteSession(Session):
    """`Session` on the writer thread's connection: a transaction is open around it."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._sqlite = conn

    def execute(self, statement: Executable, values: Values | None = None) -> Rows:
        stmt = _compiled_for(statement, values)
        params = stmt.params(values)
        try:
            cursor = self._sqlite.execute(stmt.sql, params)
            raw = cursor.fetchall() if cursor.description else []
        except sqlite3.Error as error:
            raise _db_error(error, stmt.sql, params) from error
        return Rows(stmt.rows(raw), cursor.rowcount)

    def executemany(self, statement: Executable, rows: Sequence[Values]) -> None:
        if not rows:
            return
        stmt = _compiled_for(statement, rows[0])
        params = [stmt.params(r) for r in rows]
        try:
            self._sqlite.executemany(stmt.sql, params)
        except sqlite3.Error as error:
            raise _db_error(error, stmt.sql, params) from error


async def run_on(conn: AsyncConnection, statement: Executable,
                 values: Values | None = None) -> Rows:
    """One statement on an engine's SQLite connection, in its transaction if one is open:
    one hop to aiosqlite's thread (the engine would take three or four)."""
    stmt = _compiled_for(statement, values)
    params = stmt.params(values)
    raw = await conn.get_raw_connection()
    try:
        found = await raw.driver_connection.execute_fetchall(stmt.sql, params)  # type: ignore[union-attr]
    except sqlite3.Error as error:
        raise _db_error(error, stmt.sql, params) from error
    return Rows(stmt.rows(list(found)))


def configure(conn: sqlite3.Connection) -> None:
    """Pragmas of every writer connection; switches the file to WAL (persistent)."""
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # SQLite answers "locked" without calling the busy handler while another process
    # converts a fresh file, so retry for up to the busy timeout (we are on our own thread)
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")


def prepare_engine(engine: AsyncEngine, *, begin_immediate: bool) -> None:
    """Pragmas on each connection of an async SQLite engine; with `begin_immediate`, every
    transaction takes the write lock at BEGIN (the documented `begin` event recipe). The
    file is switched to WAL by `SqliteWriter` before any engine connects."""
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        for pragma in (f"busy_timeout={BUSY_TIMEOUT_MS}", "foreign_keys=ON",
                       "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    if begin_immediate:
        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(conn: sa.Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


class SqliteWriter:
    """A thread that owns one connection to the file and runs whole transactions on it
    (with `begin_immediate=False`, a reader: statements in autocommit, each its own)."""

    def __init__(self, path: str, *, begin_immediate: bool = True,
                 name: str = "sqlite-writer") -> None:
        self.path, self.name = path, name
        self._thread = WorkerThread(name)
        self._sqlite: sqlite3.Connection | None = None  # used on the writer thread only
        # SQLAlchemy over the same connection, for `DirectConnection` (sqlite_connection.py)
        self._engine = sa.create_engine("sqlite://", poolclass=StaticPool,
                                        creator=self._connect, pool_reset_on_return=None)
        if begin_immediate:  # a reader runs each statement in autocommit
            event.listen(self._engine, "begin",
                         lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        self._sa: sa.Connection | None = None

    @property
    def dialect(self) -> Dialect:
        return self._engine.dialect

    @property
    def opened(self) -> bool:
        return self._sqlite is not None

    async def open(self) -> None:
        """Connect (and switch the file to WAL) if not done yet."""
        await self._call(self._connect)

    async def run(self, fn: Callable[[Session], T]) -> T:
        """`fn` inside `BEGIN IMMEDIATE` … `COMMIT` (rolled back if it raises), in one hop.

        A cancelled caller does not stop the transaction: it commits or rolls back whole."""
        return await self._call(self._transaction, fn)

    async def on_connection(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(connection, *args)` on the writer thread, with its SQLAlchemy connection."""
        return await self._call(self._with_connection, fn, *args)

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Queue `fn(connection, *args)` on the writer thread without waiting for it."""
        self._thread.submit(self._with_connection, fn, *args)

    def _with_connection(self, fn: Callable[..., T], *args: Any) -> T:
        if self._sa is None:
            self._sa = self._engine.connect()
        return fn(self._sa, *args)

    async def close(self) -> None:
        """Close the connection and end the thread (a later call starts them again)."""
        if not self._thread.running:
            return
        if self._sqlite is not None:
            await self._call(self._disconnect)
        await self._thread.stop()

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        return await self._thread.call(fn, *args)

    def _connect(self) -> sqlite3.Connection:
        if self._sqlite is None:
            conn = sqlite3.connect(self.path, isolation_level=None)
            try:
                configure(conn)
            except BaseException:
                conn.close()
                raise
            self._sqlite = conn
        return self._sqlite

    def _disconnect(self) -> None:
        if self._sa is not None:
            self._sa.close()
            self._sa = None
        self._engine.dispose()
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None

    def _transaction(self, fn: Callable[[Session], T]) -> T:
        conn = self._connect()
        _control(conn, "BEGIN IMMEDIATE")
        try:
            result = fn(SqliteSession(conn))
            _control(conn, "COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return result


def _control(conn: sqlite3.Connection, sql: str) -> None:
    try:
        conn.execute(sql)
    except sqlite3.Error as error:
        raise _db_error(error, sql, None) from error
