"""One thread that runs calls in order for the event loop: the SQLite threads' hop.

Leaner than `loop.run_in_executor` on a one-thread `ThreadPoolExecutor` (no work-item,
concurrent future and chaining per call, no executor locks): a call is one `SimpleQueue.put`
and one `call_soon_threadsafe` back. `benchmarks/sqlite_paths.py` measures both. Calls run
in the order they were made; a call whose caller was cancelled still runs (the SQLite
callers rely on that: a transaction commits or rolls back whole).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from yabot.logs import get_logger

log = get_logger(__name__)
T = TypeVar("T")
_Item = tuple[asyncio.Future[Any] | None, asyncio.AbstractEventLoop | None,
              Callable[..., Any], tuple[Any, ...]]


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class WorkerThread:
    """Started by the first call, stopped by `stop()` (a later call starts a new one)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._queue: queue.SimpleQueue[_Item | None] | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def call(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """`fn(*args)` on the thread; await the result."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._put((future, loop, fn, args))
        return future

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """`fn(*args)` on the thread, after the calls made before; nobody waits for it."""
        if self._thread is not None:
            self._put((None, None, fn, args))

    async def stop(self) -> None:
        """Let the calls made so far run, then end the thread."""
        if self._queue is None or self._thread is None:
            return
        thread, self._thread = self._thread, None
        self._queue.put(None)
        self._queue = None
        await asyncio.to_thread(thread.join)

    def _put(self, item: _Item) -> None:
        if self._queue is None:
            self._queue = queue.SimpleQueue()
            self._thread = threading.Thread(target=self._run, args=(self._queue,),
                                            name=self.name, daemon=True)
            self._thread.start()
        self._queue.put(item)

    @staticmethod
    def _run(items: queue.SimpleQueue[_Item | None]) -> None:
        while (item := items.get()) is not None:
            future, loop, fn, args = item
            result: Any = None
            error: BaseException | None = None
            try:
                result = fn(*args)
            except BaseException as exc:  # handed to the caller
                error = exc
            if future is None or loop is None:
                if error is not None:
                    log.warning("background call on a SQLite thread failed",
                                call=getattr(fn, "__name__", "?"),
                                error=f"{type(error).__name__}: {error}")
                continue
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody is waiting
                loop.call_soon_threadsafe(_settle, future, result, error)
