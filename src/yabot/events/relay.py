"""The relay: moves committed outbox rows to the transport, in order, with backoff.

Woken in-process on every commit that published; polls as a fallback for rows written by
other processes. One relay per deployment holds the `outbox-relay` lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from dataclasses import dataclass

from yabot.events.outbox import Outbox, OutboxRow
from yabot.events.transports.base import OutgoingMessage, Transport, TransportUnavailableError
from yabot.logging import get_logger

log = get_logger(__name__)
LEASE = "outbox-relay"


@dataclass(frozen=True, kw_only=True)
class RelayConfig:
    batch_size: int = 500
    poll_interval: float = 0.2
    lease_ttl: float = 5.0
    backoff_base: float = 0.05
    backoff_max: float = 5.0


class Relay:
    def __init__(self, outbox: Outbox, transport: Transport, config: RelayConfig) -> None:
        self.outbox, self.transport, self.config = outbox, transport, config
        self.owner = f"relay-{uuid.uuid4().hex[:12]}"
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.transport_up = True
        self.failures = 0

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        if not self.transport.durable_on_send:
            self.transport.set_settled_callback(self.outbox.settle)
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self, timeout: float = 5.0) -> None:
        """Flush what can be sent within `timeout`, then stop."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout)
            except TimeoutError:
                self._task.cancel()
                log.warning("relay did not flush before the deadline")
        try:
            await self.outbox.drop_lease(LEASE, self.owner)
        except Exception as exc:  # the stores may already be failing at shutdown
            log.warning("could not release the relay lease", error=str(exc))

    async def _run(self) -> None:
        held, lease_checked = False, 0.0
        loop = asyncio.get_running_loop()
        while True:
            try:
                if loop.time() - lease_checked > self.config.lease_ttl / 3:
                    was_held = held
                    held = await self.outbox.hold_lease(LEASE, self.owner, self.config.lease_ttl)
                    lease_checked = loop.time()
                    if held and not was_held and not self.transport.durable_on_send:
                        await self.outbox.reset_unsettled()
                sent = await self.relay_once() if held else 0
            except Exception as exc:  # keep relaying whatever fails; nothing is lost
                sent = 0
                log.error("relay pass failed", error=f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(self.config.poll_interval)
            if self._stopping and (sent == 0 or not self.transport_up):
                return
            if sent >= self.config.batch_size:
                continue  # more waiting
            if not self.transport_up:
                await self._sleep(self._backoff())
            else:
                await self._sleep(self.config.poll_interval)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    def _backoff(self) -> float:
        cap = min(self.config.backoff_max, self.config.backoff_base * 2 ** min(self.failures, 16))
        return random.uniform(cap / 2, cap)

    async def relay_once(self) -> int:
        """Send one batch of pending rows; returns how many were sent."""
        rows = await self.outbox.pending(self.config.batch_size)
        if not rows:
            return 0
        try:
            await self.transport.send([_message(r) for r in rows])
        except TransportUnavailableError as exc:
            self.failures += 1
            if self.transport_up:
                log.warning("transport down; events wait in the outbox", error=str(exc),
                            backlog=len(rows))
            self.transport_up = False
            return 0
        if not self.transport_up:
            log.info("transport back; replaying the outbox", after_failures=self.failures)
        self.transport_up, self.failures = True, 0
        await self.outbox.mark_sent(rows, delete=self.transport.durable_on_send)
        return len(rows)


def _message(row: OutboxRow) -> OutgoingMessage:
    return OutgoingMessage(event_id=row.event_id, event_type=row.event_type,
                           key=row.partition_key, data=row.data)
