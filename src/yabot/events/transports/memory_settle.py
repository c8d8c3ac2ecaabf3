"""The memory transport's settled callback: event ids every group acked, reported in batches
by a background task that retries (with backoff) while the callback fails."""

from __future__ import annotations

import asyncio
import contextlib

from yabot.events.transports.base import SettledCallback
from yabot.logs import get_logger

log = get_logger(__name__)


class Settler:
    def __init__(self) -> None:
        self.callback: SettledCallback | None = None
        self._settled: list[str] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def add(self, event_id: str) -> None:
        if self.callback is not None:
            self._settled.append(event_id)

    def kick(self) -> None:
        """Report what was added (soon, from the background task)."""
        if self._settled:
            self.ensure_running()
            self._wakeup.set()

    def ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._flush_once()

    async def _loop(self) -> None:
        delay = 0.05
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._settled:
                if await self._flush_once():
                    delay = 0.05
                else:
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)

    async def _flush_once(self) -> bool:
        """Call the callback with everything buffered; on failure keep the ids."""
        if not self._settled or self.callback is None:
            return True
        ids, self._settled = self._settled, []
        try:
            await self.callback(ids)
        except Exception:
            log.exception("settled_callback_failed", count=len(ids))
            self._settled[:0] = ids
            return False
        return True
