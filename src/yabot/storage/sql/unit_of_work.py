"""An update's unit of work: one write transaction, begun by the first write made inside it.

While a task has a unit of work open on a `Database` (`opened`), that database's `write()`
and `transaction()` join it: the first begins the transaction, later ones run in it, each in
a savepoint (an error caught by the caller undoes only its own block), and `read()` then
sees its writes. The owner commits it once and then runs the callbacks it collected
(`on_commit`), or rolls it back. Other tasks, even ones started from inside, never join it.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import (
    AbstractAsyncContextManager,
    AsyncExitStack,
    asynccontextmanager,
    contextmanager,
)
from contextvars import ContextVar
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.storage.sql.statements import EngineSession, Session

T = TypeVar("T")
_CURRENT: ContextVar[UnitOfWork | None] = ContextVar("yabot_unit_of_work", default=None)


class UnitOfWork:
    def __init__(self, owner: object,
                 open_write: Callable[[], AbstractAsyncContextManager[AsyncConnection]]) -> None:
        self.owner, self._open_write = owner, open_write  # owner: the Database it is on
        self.task = asyncio.current_task()
        self.conn: AsyncConnection | None = None
        self.closed = False
        self._stack: AsyncExitStack | None = None
        self._after: list[Callable[[], None]] = []
        self._names = itertools.count(1)

    @contextmanager
    def current(self) -> Iterator[UnitOfWork]:
        """This task's unit of work for the block (`opened`)."""
        with opened(self):
            yield self

    @property
    def begun(self) -> bool:
        return self.conn is not None

    async def begin(self) -> AsyncConnection:
        if self.conn is None:
            stack = AsyncExitStack()
            self.conn = await stack.enter_async_context(self._open_write())
            self._stack = stack
        return self.conn

    def on_commit(self, callback: Callable[[], None]) -> None:
        self._after.append(callback)

    async def commit(self) -> None:
        """Commit what was written (nothing if nothing was); then call `committed()`."""
        self.closed = True
        stack, self._stack, self.conn = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    def committed(self) -> None:
        """Run the `on_commit` callbacks (the owner, after `commit()`, outside any context
        its tasks should not copy)."""
        after, self._after = self._after, []
        for callback in after:
            callback()

    async def rollback(self) -> None:
        self.closed = True
        self._after.clear()
        await self._discard()

    async def _discard(self) -> None:
        """Roll back what was written; the unit stays open (a failed first block)."""
        stack, self._stack, self.conn = self._stack, None, None
        if stack is not None:
            await stack.__aexit__(RolledBack, RolledBack(), None)

    # --- joining: Database.write(), .transaction() ----------------------------------
    @asynccontextmanager
    async def block(self) -> AsyncIterator[AsyncConnection]:
        """The body of a joined `write()`: a savepoint, or the whole transaction if first."""
        if self.conn is None:
            conn = await self.begin()
            try:
                yield conn
            except BaseException:
                await self._discard()  # only this block had written
                raise
            return
        conn, name = self.conn, f"uow_{next(self._names)}"
        await conn.execute(sa.text(f"SAVEPOINT {name}"))
        try:
            yield conn
        except Exception:
            await conn.execute(sa.text(f"ROLLBACK TO SAVEPOINT {name}"))
            await conn.execute(sa.text(f"RELEASE SAVEPOINT {name}"))
            raise
        await conn.execute(sa.text(f"RELEASE SAVEPOINT {name}"))

    async def run(self, fn: Callable[[Session], T]) -> T:
        """A joined `transaction(fn)`: `fn` in one `run_sync`, in a savepoint unless first."""
        first = self.conn is None
        conn = await self.begin()

        def nested(sync: sa.Connection) -> T:
            if first:
                return fn(EngineSession(sync))
            with sync.begin_nested():
                return fn(EngineSession(sync))

        try:
            return await conn.run_sync(nested)
        except BaseException:
            if first:
                await self._discard()
            raise


class RolledBack(Exception):
    """Thrown into the write transaction to roll it back."""


def joined(owner: object) -> UnitOfWork | None:
    """The unit of work this task has open on `owner`, if any."""
    uow = _CURRENT.get()
    if uow is None or uow.owner is not owner or uow.closed:
        return None
    return uow if uow.task is asyncio.current_task() else None


@contextmanager
def opened(uow: UnitOfWork) -> Iterator[UnitOfWork]:
    """Make `uow` this task's unit of work for the block (the caller commits it)."""
    token = _CURRENT.set(uow)
    try:
        yield uow
    finally:
        _CURRENT.reset(token)


@contextmanager
def detached() -> Iterator[None]:
    """Write in transactions of their own for the block (a saga's steps must commit one by
    one); refused once the task's unit of work has begun, which would wait for itself."""
    uow = _CURRENT.get()
    if uow is not None and uow.begun and uow.task is asyncio.current_task():
        raise RuntimeError("a step that commits on its own cannot run after the update "
                           "has written (it would wait for the update's transaction)")
    token = _CURRENT.set(None)
    try:
        yield
    finally:
        _CURRENT.reset(token)
