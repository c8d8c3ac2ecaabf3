"""Fail fast while a store is down, and find out in the background when it is back.

A `Circuit` wraps every call to a backend. When a call fails with one of the backend's
connection-type errors, the error becomes `StoreUnavailableError` and the circuit opens:
from then on every call raises `StoreUnavailableError` at once, without touching the
network, while one background task probes the backend with exponential backoff and
jitter. The first successful probe closes the circuit again.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from yabot.domain.errors import StoreUnavailableError
from yabot.logs import get_logger

log = get_logger("yabot.storage.circuit")

Probe = Callable[[], Awaitable[object]]


def describe(exc: BaseException, limit: int = 300) -> str:
    """A one-line reason for an error (driver messages can be long and multi-line)."""
    text = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Circuit:
    """Availability state of one store, with a background recovery probe."""

    def __init__(
        self,
        store: str,
        probe: Probe,
        *,
        errors: tuple[type[BaseException], ...],
        no_trip: tuple[type[BaseException], ...] = (),
        initial_delay: float = 0.2,
        max_delay: float = 5.0,
    ) -> None:
        self.store = store
        self._probe = probe
        self._errors = errors
        self._no_trip = no_trip  # translated, but not a sign the backend is down
        self._initial, self._max = initial_delay, max_delay
        self._available = True
        self._reason = ""
        self._down_since = 0.0
        self._task: asyncio.Task[None] | None = None

    @property
    def available(self) -> bool:
        return self._available

    def check(self) -> None:
        """Raise at once while the circuit is open."""
        if not self._available:
            raise StoreUnavailableError(self.store, self._reason or "marked down")

    @contextlib.asynccontextmanager
    async def guard(self) -> AsyncIterator[None]:
        """Fail fast while down; translate connection errors and open the circuit."""
        self.check()
        try:
            yield
        except self._errors as exc:
            reason = describe(exc)
            if not isinstance(exc, self._no_trip):
                self.trip(reason)
            raise StoreUnavailableError(self.store, reason) from exc

    def trip(self, reason: str) -> None:
        """Mark the store down and start the recovery probe (once)."""
        if self._available:
            self._available, self._reason = False, reason
            self._down_since = time.monotonic()
            log.warning("store_unavailable", store=self.store, reason=reason)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._recover(), name=f"{self.store}-recovery")

    async def _recover(self) -> None:
        delay, attempts = self._initial, 0
        while True:
            # "equal jitter": at least half the delay, so probes never bunch up
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            attempts += 1
            try:
                await self._probe()
            except Exception as exc:
                log.debug("store_probe_failed", store=self.store, attempt=attempts,
                          reason=describe(exc))
                delay = min(self._max, delay * 2)
                continue
            self._available, self._reason = True, ""
            log.info("store_available", store=self.store, attempts=attempts,
                     down_seconds=round(time.monotonic() - self._down_since, 3))
            return

    async def close(self) -> None:
        """Stop the recovery probe, if one is running."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
