"""Group commit: batches submitted while a commit runs are combined into the next one.

Each partition loop of a consumer group reads its own stream; under load their batches
arrive together, and one transaction for all of them costs about as much as one for each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from yabot.logs import get_logger

T = TypeVar("T")
log = get_logger(__name__)


class GroupCommit(Generic[T]):
    def __init__(self, commit: Callable[[list[T]], Awaitable[None]]) -> None:
        self._commit = commit
        self._queue: list[tuple[Sequence[T], asyncio.Future[bool]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def submit(self, items: Sequence[T]) -> bool:
        """Commit `items` with whatever else is queued; False if that combined commit failed
        (the caller then handles its own items separately)."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append((items, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await done

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                await self._commit([item for items, _ in batch for item in items])
                ok = True
            except Exception as exc:
                log.info("combined batch rolled back", batches=len(batch),
                         error=f"{type(exc).__name__}: {exc}")
                ok = False
            for _, done in batch:
                if not done.done():
                    done.set_result(ok)
