"""SQLite write transactions on the writer thread, one hop per statement.

`Database.write()` on SQLite yields a `DirectConnection`: the subset of `AsyncConnection`
that repositories use (`execute`, `dialect`), backed by a synchronous SQLAlchemy connection
on `SqliteWriter`'s thread and connection. Each statement is one hop to that thread, where
SQLAlchemy runs it whole (compile cache, defaults, type processing, IN lists, executemany)
and buffers its rows; the async engine would take three or four hops per statement, plus
BEGIN and COMMIT (`benchmarks/sqlite_paths.py`). The transaction begins (`BEGIN IMMEDIATE`)
with the first statement and ends with one hop for COMMIT or ROLLBACK.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.result import IteratorResult, SimpleResultMetaData
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.base import Executable

from yabot.storage.sql.sqlite_direct import SqliteWriter

T = TypeVar("T")
_NO_ROWS = SimpleResultMetaData([])


class BufferedResult(IteratorResult[Any]):
    """A statement's rows, fetched on the writer thread, with the cursor's `rowcount`."""

    rowcount: int
    returns_rows: bool
    inserted_primary_key: Any = None  # a single-row INSERT's key (as CursorResult's)

    @classmethod
    def of(cls, result: sa.CursorResult[Any]) -> BufferedResult:
        rowcount = result.rowcount
        if result.returns_rows:
            frozen = result.freeze()  # rows and metadata (column keys included)
            buffered = cls(frozen.metadata, iter(frozen.data))
        else:
            result.close()
            buffered = cls(_NO_ROWS, iter(()))
        buffered.rowcount, buffered.returns_rows = rowcount, result.returns_rows
        context = result.context
        if context.isinsert and not context.executemany and not result.returns_rows:
            buffered.inserted_primary_key = result.inserted_primary_key
        return buffered


def _run(conn: sa.Connection, statement: Executable, parameters: Any) -> BufferedResult:
    """On the writer thread: the statement (autobegins `BEGIN IMMEDIATE`), rows buffered."""
    return BufferedResult.of(conn.execute(statement, parameters))


def _in_transaction(conn: sa.Connection, fn: Callable[[sa.Connection], T]) -> T:
    if not conn.in_transaction():
        conn.begin()
    return fn(conn)


def _end(conn: sa.Connection, commit: bool) -> None:
    if not conn.in_transaction():
        return
    if commit:
        conn.commit()
    else:
        conn.rollback()


class DirectConnection:
    """One write transaction on the writer thread; `Database.write()` ends it."""

    def __init__(self, writer: SqliteWriter) -> None:
        self._writer = writer
        self.dialect: Dialect = writer.dialect
        self._used = False

    def in_transaction(self) -> bool:
        return self._used

    async def execute(self, statement: Executable,
                      parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
                      ) -> BufferedResult:
        """Run one statement in this transaction (a list of parameter sets: executemany)."""
        self._used = True
        return await self._writer.on_connection(_run, statement, _plain(parameters))

    async def inline(self, work: Callable[[AsyncConnection], Coroutine[Any, Any, T]]) -> T:
        """Run async repository code over this transaction in ONE hop: on the writer thread
        its statements execute at once, so it completes without suspending. `work` must
        await nothing but this connection (RuntimeError otherwise, before any harm: the
        statements it ran stay in the transaction, which the caller then rolls back)."""
        self._used = True
        context = contextvars.copy_context()  # the task's (correlation id, …), not the thread's

        def call(sync: sa.Connection) -> T:
            here = cast(AsyncConnection, _Inline(self._writer, sync))
            return context.run(_complete, work(here))

        return await self._writer.on_connection(_in_transaction, call)

    async def run_sync(self, fn: Callable[[sa.Connection], T]) -> T:
        """`fn` with the synchronous connection, in this transaction (e.g. migrations)."""
        self._used = True
        return await self._writer.on_connection(_in_transaction, fn)

    async def commit(self) -> None:
        if self._used:
            await self._writer.on_connection(_end, True)

    def rollback_soon(self) -> None:
        """Queue the rollback on the writer thread without waiting: it runs before any later
        transaction's statement (one thread, in order), even if the caller is cancelled."""
        if self._used:
            self._writer.submit(_end, False)


class _Inline(DirectConnection):
    """A `DirectConnection` already on the writer thread: statements run without a hop."""

    def __init__(self, writer: SqliteWriter, sync: sa.Connection) -> None:
        super().__init__(writer)
        self._sync, self._used = sync, True

    async def execute(self, statement: Executable,
                      parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
                      ) -> BufferedResult:
        return _run(self._sync, statement, _plain(parameters))

    async def run_sync(self, fn: Callable[[sa.Connection], T]) -> T:
        return fn(self._sync)


def _plain(parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None) -> Any:
    if isinstance(parameters, Mapping):
        return dict(parameters)
    return None if parameters is None else [dict(p) for p in parameters]


def _complete(coro: Coroutine[Any, Any, T]) -> T:
    """Drive a coroutine that never suspends to its result."""
    try:
        coro.send(None)
    except StopIteration as done:
        return cast(T, done.value)
    coro.close()
    raise RuntimeError("inline work awaited something other than its connection")


async def run_inline(conn: AsyncConnection,
                     work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    """`work(conn)`: in one hop on SQLite's writer thread (`DirectConnection.inline`),
    as it is elsewhere."""
    if isinstance(conn, DirectConnection):
        return await conn.inline(cast(Callable[[AsyncConnection], Coroutine[Any, Any, T]], work))
    return await work(conn)
