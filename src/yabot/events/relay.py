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
from datetime import timedelta

from yabot.events.outbox import Outbox, OutboxRow
from yabot.events.settle_gate import SettleGate
from yabot.events.transports.base import (
    OutgoingMessage,
    Transport,
    TransportDataLostError,
    TransportUnavailableError,
    partition_for,
)
from yabot.logs import get_logger

log = get_logger(__name__)
LEASE = "outbox-relay"


@dataclass(frozen=True, kw_only=True)
class RelayConfig:
    batch_size: int = 500
    poll_interval: float = 0.2
    lease_ttl: float = 5.0
    backoff_base: float = 0.05
    backoff_max: float = 5.0
    # sent rows stay this long, to be sent again if the (durable) transport loses data
    replay_window: timedelta = timedelta(minutes=15)
    purge_interval: float = 60.0
    verify_interval: float = 1.0  # when idle, check the transport's markers this often


class Relay:
    def __init__(self, outbox: Outbox, transport: Transport, config: RelayConfig) -> None:
        self.outbox, self.transport, self.config = outbox, transport, config
        self.owner = f"relay-{uuid.uuid4().hex[:12]}"
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.transport_up = True
        self.failures = 0
        self.replays = 0  # times the window was sent again after a transport lost data
        self._baseline = False  # markers loaded and compared with the outbox (durable)
        self._replay_from: int | None = None  # replaying: rows after this id, sent or not
        self._verified = self._purged = self._polled = 0.0
        self._held = False
        self._polled_max = 0  # highest id a poll sent
        self._caught_up = False  # the last poll found every committed row sent
        self._handed: list[OutboxRow] = []  # committed by this process, not sent yet
        self._unmarked: list[OutboxRow] = []  # sent from memory, not flagged sent yet
        self._gate = SettleGate(outbox)

    def wake(self) -> None:
        self._wake.set()

    def handoff(self, rows: list[OutboxRow]) -> None:
        """Rows this process just committed: sent from memory, without reading them back,
        once a poll found nothing older unsent (until then the poll sends them, in order).
        Every row this process commits is handed over, so none is skipped behind a later one."""
        if not self._held:
            return
        self._handed.extend(r for r in rows if r.id > self._polled_max)  # else: polled
        if len(self._handed) > 20 * self.config.batch_size:  # not keeping up: poll instead
            self._handed, self._caught_up = [], False
        self._wake.set()

    async def start(self) -> None:
        if not self.transport.durable_on_send:
            self.transport.set_settled_callback(self._gate.settle)
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
                    self._held = held
                    if not held:
                        self._handed, self._caught_up = [], False
                    if held and not was_held:
                        await self._acquired()
                sent = await self.relay_once() if held else 0
                if held and sent == 0 and self.transport_up and not self._stopping:
                    await self._housekeeping(loop.time())
            except Exception as exc:  # keep relaying whatever fails; nothing is lost
                sent, self._handed, self._caught_up = 0, [], False
                log.error("relay pass failed", error=f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(self.config.poll_interval)
            if self._stopping and (sent == 0 or not self.transport_up):
                return
            if self.transport_up and (sent >= self.config.batch_size
                                      or self._replay_from is not None):
                continue  # more waiting
            if not self.transport_up:
                await self._sleep(self._backoff())
            else:
                await self._sleep(self.config.poll_interval)

    async def _acquired(self) -> None:
        """A new lease: unsettled rows (memory) go again; markers are compared (durable)."""
        if not self.transport.durable_on_send:
            await self.outbox.reset_unsettled()
        self._baseline = False

    async def _housekeeping(self, now: float) -> None:
        if not self.transport.durable_on_send:
            return
        if now - self._verified > self.config.verify_interval:
            self._verified = now
            try:
                await self.transport.verify()
            except TransportDataLostError as exc:
                self._replay(exc)
            except TransportUnavailableError:
                pass  # the next send finds out and backs off
        if now - self._purged > self.config.purge_interval:
            self._purged = now
            await self.outbox.purge_sent(self.config.replay_window)

    def _replay(self, exc: TransportDataLostError) -> None:
        self.replays += 1
        self._replay_from = 0
        log.warning("transport lost data; sending the outbox replay window again",
                    partitions=sorted(exc.partitions))

    async def _check_baseline(self) -> None:
        """Compare the transport's markers with the rows the outbox says were sent."""
        markers = await self.transport.load_markers()
        self._baseline = True
        if markers is None:
            return
        rows = await self.outbox.sent_after(min(markers.values(), default=0))
        parts = self.transport.partitions
        lost = {p for i, key in rows if i > markers.get(p := partition_for(key, parts), 0)}
        if lost:
            self._replay(TransportDataLostError(lost))

    def _backoff(self) -> float:
        cap = min(self.config.backoff_max, self.config.backoff_base * 2 ** min(self.failures, 16))
        return random.uniform(cap / 2, cap)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    async def relay_once(self) -> int:
        """Send one batch (rows handed over in memory, pending rows, or the next of the
        replay window); how many."""
        polled = False
        try:
            if self.transport.durable_on_send and not self._baseline:
                await self._check_baseline()
            cursor = self._replay_from
            size = self.config.batch_size
            now = asyncio.get_running_loop().time()
            if cursor is None and self._caught_up and (
                    self._handed and now - self._polled < self.config.poll_interval):
                rows, self._handed = self._handed[:size], self._handed[size:]
                self._gate.sending(rows)
                await self.transport.send([_message(r) for r in rows])
                self._unmarked += rows  # flagged sent by the next poll pass, in one write
                return len(rows)
            polled, self._polled = cursor is None, now
            found = await (self.outbox.pending(size) if cursor is None
                           else self.outbox.after(cursor, size))
            if not found:
                if cursor is not None:
                    log.info("outbox replay window sent again")
                    self._replay_from = None
                self._caught_up = polled
                await self._mark(found)
                return 0
            unmarked = {r.id for r in self._unmarked} if polled else set()
            rows = [r for r in found if r.id not in unmarked]  # those went already
            if rows:
                self._gate.sending(rows)
                await self.transport.send([_message(r) for r in rows])
        except TransportDataLostError as exc:
            self._handed, self._caught_up = [], False  # the replay sends them, in order
            self._replay(exc)
            self.transport_up, self.failures = True, 0
            return 0
        except TransportUnavailableError as exc:
            self._handed, self._caught_up = [], False  # the poll sends them, in order
            self.failures += 1
            if self.transport_up:
                log.warning("transport down; events wait in the outbox", error=str(exc))
            self.transport_up = False
            return 0
        if not self.transport_up:
            log.info("transport back; replaying the outbox", after_failures=self.failures)
        self.transport_up, self.failures = True, 0
        if cursor is not None:
            self._replay_from = found[-1].id
        if polled:  # what the poll sent, or (PostgreSQL) what the next poll finds
            self._polled_max = max(self._polled_max, found[-1].id)
            self._handed = [r for r in self._handed if r.id > self._polled_max]
            self._caught_up = len(found) < size
        await self._mark(rows)
        return len(found)

    async def _mark(self, rows: list[OutboxRow]) -> None:
        """Flag as sent: `rows` and what went from memory since the last poll pass."""
        pending, self._unmarked = [r for r in rows if not r.sent] + self._unmarked, []
        try:
            await self.outbox.mark_sent(pending)
        except BaseException:
            self._unmarked = pending + self._unmarked
            raise
        await self._gate.flagged(pending)


def _message(row: OutboxRow) -> OutgoingMessage:
    return OutgoingMessage(event_id=row.event_id, event_type=row.event_type,
                           key=row.partition_key, data=row.data, seq=row.id)
