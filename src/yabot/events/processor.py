"""Consumers: one `GroupWorker` per subscriber group.

The worker owns some partitions (leases held by the transport) and runs one read loop over
all of them: read a batch (one XREADGROUP), handle it with per-user order, acknowledge.
A handler's effects and the `(group, event_id)` row in `processed_events` commit in one
transaction, so a redelivered event has no second effect. Failures retry with backoff; after
`max_deliveries` the event becomes a dead letter and the rest keeps flowing. A store that is
unavailable is waited out (backoff up to 5 s) without counting attempts: an outage of
MongoDB is not the event's fault and must not fill the dead letters.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from yabot.domain.errors import StoreUnavailableError
from yabot.domain.events import BaseEvent, EventError, parse_event
from yabot.events.group_commit import GroupCommit
from yabot.events.handler_context import HandlerContext
from yabot.events.handler_errors import HandlerError, describe
from yabot.events.ordering import run_in_key_order
from yabot.events.transports.base import Delivery, Transport, TransportUnavailableError
from yabot.logs import get_logger

log = get_logger(__name__)
Handler = Callable[[BaseEvent, HandlerContext], Awaitable[None]]


@dataclass(frozen=True, kw_only=True)
class ConsumerConfig:
    batch_size: int = 100
    block_ms: int = 500
    concurrency: int = 32
    max_deliveries: int = 5
    retry_base: float = 0.05
    retry_max: float = 2.0
    claim_interval: float = 1.0
    drain_timeout: float = 10.0


@dataclass(kw_only=True)
class Subscription:
    pattern: str
    handler: Handler
    # a cheap test before the transaction: False = the handler would do nothing with it,
    # so it is acknowledged without a transaction (or a processed mark)
    accepts: Callable[[BaseEvent], bool] | None = None

    def matches(self, event_type: str) -> bool:
        if self.pattern.endswith("*"):
            return event_type.startswith(self.pattern[:-1])
        return event_type == self.pattern

    def wants(self, event: BaseEvent) -> bool:
        return self.matches(event.event_type) and (self.accepts is None or self.accepts(event))


HandleBatch = Callable[[str, list[tuple[BaseEvent, list[Handler]]]], Awaitable[None]]
DeadLetterFn = Callable[[Delivery, str, str, int], Awaitable[None]]


@dataclass(frozen=True, kw_only=True)
class Item:
    delivery: Delivery
    event: BaseEvent
    handlers: list[Handler]


@dataclass(kw_only=True)
class GroupWorker:
    group: str
    consumer: str
    transport: Transport
    config: ConsumerConfig
    handle_batch: HandleBatch  # handlers + processed marks in one transaction (EventBus)
    dead_letter: DeadLetterFn
    subscriptions: list[Subscription] = field(default_factory=list)
    _owned: set[int] = field(default_factory=set)
    _owned_changed: asyncio.Event = field(default_factory=asyncio.Event)
    _stopping: bool = False
    _main: asyncio.Task[None] | None = None
    _reader: asyncio.Task[None] | None = None
    _handler: asyncio.Task[None] | None = None
    _batches: asyncio.Queue[list[Delivery] | None] = field(init=False)
    _slots: asyncio.Semaphore = field(init=False)
    _group_commit: GroupCommit[Item] = field(init=False)
    _failed_in_batch: dict[str, str] = field(default_factory=dict)  # raised in a combined one

    def __post_init__(self) -> None:
        self._group_commit = GroupCommit(self._commit_items)

    async def _commit_items(self, items: list[Item]) -> None:
        try:
            await self.handle_batch(self.group, [(i.event, i.handlers) for i in items])
        except HandlerError as exc:  # that call was an attempt of this event
            self._failed_in_batch[exc.event_id] = str(exc)
            raise

    async def start(self) -> None:
        self._main = asyncio.create_task(self._claim_loop(), name=f"group-{self.group}")
        self._batches, self._slots = asyncio.Queue(), asyncio.Semaphore(2)
        self._reader = asyncio.create_task(self._read_loop(), name=f"read-{self.group}")
        self._handler = asyncio.create_task(self._handle_loop(), name=f"handle-{self.group}")

    async def stop(self) -> None:
        """Stop fetching, finish in-flight batches within the drain timeout, release leases."""
        self._stopping = True
        tasks = [t for t in (self._main, self._reader, self._handler) if t is not None]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=self.config.drain_timeout)
            for task in late:
                task.cancel()
        with contextlib.suppress(TransportUnavailableError):  # leases expire on their own
            await self.transport.release(self.group, self.consumer)

    async def _claim_loop(self) -> None:
        group_ready = False
        while not self._stopping:
            if not group_ready:
                try:
                    await self.transport.ensure_group(self.group)
                    group_ready = True
                except TransportUnavailableError:
                    await asyncio.sleep(self.config.claim_interval)
                    continue
            # Redis down: keep reading what we own: a batch read but not handled is pending
            # for this consumer, which reads only new messages if it keeps the lease. The
            # transport stops the reads once the last successful claim is older than the TTL.
            with contextlib.suppress(TransportUnavailableError):
                self._owned = await self.transport.claim_partitions(self.group, self.consumer)
            self._owned_changed.set()
            await asyncio.sleep(self.config.claim_interval)

    async def _read_loop(self) -> None:
        """One read over every owned partition (one XREADGROUP); the next batch is read while
        the previous one is handled."""
        failures = 0
        try:
            while not self._stopping:
                await self._slots.acquire()  # at most 2 batches read and not acknowledged
                if self._stopping:
                    break
                if not self._owned:
                    self._slots.release()
                    self._owned_changed.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._owned_changed.wait(),
                                               self.config.claim_interval)
                    continue
                try:
                    batch = await self.transport.read_many(
                        self.group, self.consumer, set(self._owned),
                        count=self.config.batch_size, block_ms=self.config.block_ms)
                    failures = 0
                except Exception as exc:  # Redis down (or a surprise): retry, keep the loop
                    self._slots.release()
                    failures += 1
                    if not isinstance(exc, TransportUnavailableError):
                        log.error("read failed", group=self.group, error=describe(exc))
                    await asyncio.sleep(min(2.0, 0.05 * 2 ** min(failures, 6)))
                    continue
                if batch:
                    self._batches.put_nowait(batch)
                else:
                    self._slots.release()
        finally:
            self._batches.put_nowait(None)

    async def _handle_loop(self) -> None:
        """Handle each batch in one transaction, then acknowledge it (one round trip)."""
        while (batch := await self._batches.get()) is not None:
            try:
                await self._handle_one(batch)
            finally:
                self._slots.release()

    async def _handle_one(self, batch: list[Delivery]) -> None:
        await self._process_batch(batch)
        acks: dict[int, list[str]] = {}
        for d in batch:
            acks.setdefault(d.partition, []).append(d.message_id)
        failures = 0
        while True:
            try:
                await self.transport.ack_many(self.group, acks)
                return
            except Exception as exc:
                if self._stopping:
                    return  # unacked: redelivered, and skipped through processed marks
                if not isinstance(exc, TransportUnavailableError):
                    log.error("ack failed", group=self.group, error=describe(exc))
                failures += 1
                await asyncio.sleep(min(2.0, 0.05 * 2 ** min(failures, 6)))

    async def _process_batch(self, batch: list[Delivery]) -> None:
        """Handle a batch in one transaction (shared with other partitions' batches arriving
        at the same time); if that fails, event by event with retries."""
        items: list[Item] = []
        for delivery in batch:
            try:
                event = parse_event(delivery.data)
            except EventError as exc:
                await self._retry_bookkeeping(
                    self.dead_letter, delivery, self.group, f"unreadable event: {exc}", 1)
                continue
            handlers = [s.handler for s in self.subscriptions if s.wants(event)]
            if handlers:
                items.append(Item(delivery=delivery, event=event, handlers=handlers))
        if not items or await self._group_commit.submit(items):
            return
        log.info("handling a batch event by event", group=self.group, size=len(items))
        await self._retry_bookkeeping(
            run_in_key_order, items, lambda i: i.delivery.key or i.event.event_id,
            self._process, self.config.concurrency)

    async def _retry_bookkeeping(self, fn: Callable[..., Awaitable[None]], *args: Any) -> None:
        """Retry work whose failure is ours (a store down), not the handler's: never drop it."""
        failures = 0
        while True:
            try:
                await fn(*args)
                return
            except Exception as exc:
                failures += 1
                log.error("event bookkeeping failed, retrying", group=self.group,
                          failures=failures, error=f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(min(5.0, 0.1 * 2 ** min(failures, 6)))

    async def _process(self, item: Item) -> None:
        """Handle one event, with retries; after `max_deliveries` attempts (its deliveries,
        and a failed combined commit it raised in) it becomes a dead letter."""
        delivery, event = item.delivery, item.event
        attempt = max(1, delivery.delivery_count)
        error = self._failed_in_batch.pop(event.event_id, None)
        outage = 0  # retries while a store is unavailable: not the event's fault, not counted
        while True:
            if error is not None and outage:
                delay = min(5.0, self.config.retry_base * 2 ** min(outage, 10))
                log.warning("store unavailable, retrying (not counted as an attempt)",
                            group=self.group, event_id=event.event_id, error=error)
                await asyncio.sleep(random.uniform(delay / 2, delay))
            elif error is not None:
                if attempt >= self.config.max_deliveries:
                    log.error("event dead-lettered", group=self.group, event_id=event.event_id,
                              event_type=event.event_type, attempts=attempt, error=error)
                    await self.dead_letter(delivery, self.group, error, attempt)
                    return
                delay = min(self.config.retry_max, self.config.retry_base * 2 ** (attempt - 1))
                log.warning("handler failed, retrying", group=self.group,
                            event_id=event.event_id, attempt=attempt, error=error)
                await asyncio.sleep(random.uniform(delay / 2, delay))
                attempt += 1
            try:
                await self.handle_batch(self.group, [(event, item.handlers)])
                return
            except Exception as exc:
                error = describe(exc)
                cause = exc.error if isinstance(exc, HandlerError) else exc
                outage = outage + 1 if isinstance(cause, StoreUnavailableError) else 0
