"""Consumers: one `GroupWorker` per subscriber group.

The worker owns some partitions (leases held by the transport) and runs one loop per
partition: read a batch, handle it with per-user order, acknowledge. A handler's effects and
the `(group, event_id)` row in `processed_events` commit in one transaction, so a
redelivered event has no second effect. Failures retry with backoff; after
`max_deliveries` the event becomes a dead letter and the rest keeps flowing.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from yabot.domain.events import BaseEvent, EventError, parse_event
from yabot.events.group_commit import GroupCommit
from yabot.events.ordering import run_in_key_order
from yabot.events.transports.base import Delivery, Transport, TransportUnavailableError
from yabot.logging import get_logger

if TYPE_CHECKING:
    from yabot.events.bus import HandlerContext

log = get_logger(__name__)
Handler = Callable[[BaseEvent, "HandlerContext"], Awaitable[None]]


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

    def matches(self, event_type: str) -> bool:
        if self.pattern.endswith("*"):
            return event_type.startswith(self.pattern[:-1])
        return event_type == self.pattern


class HandlerError(Exception):
    """A handler raised while handling `event_id` (the original is `error`)."""

    def __init__(self, event_id: str, error: Exception) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.event_id, self.error = event_id, error


def describe(exc: Exception) -> str:
    if isinstance(exc, HandlerError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


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
    _tasks: dict[int, asyncio.Task[None]] = field(default_factory=dict)
    _stopping: bool = False
    _main: asyncio.Task[None] | None = None
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

    async def stop(self) -> None:
        """Stop fetching, finish in-flight batches within the drain timeout, release leases."""
        self._stopping = True
        tasks = [t for t in (self._main, *self._tasks.values()) if t is not None]
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
            try:
                owned = await self.transport.claim_partitions(self.group, self.consumer)
            except TransportUnavailableError:
                # Keep the partition loops: cancelling them would abandon batches they have
                # read (pending for this consumer, which reads only new messages if it keeps
                # the lease). They finish and retry their acks; the transport stops their
                # reads once the last successful claim is older than the lease TTL.
                await asyncio.sleep(self.config.claim_interval)
                continue
            for p, task in list(self._tasks.items()):
                if p not in owned:
                    task.cancel()  # lease lost: unacked messages go to the new owner
                if p not in owned or task.done():
                    del self._tasks[p]
            for p in owned - self._tasks.keys():
                self._tasks[p] = asyncio.create_task(self._partition_loop(p))
            await asyncio.sleep(self.config.claim_interval)

    async def _partition_loop(self, partition: int) -> None:
        unacked: list[str] = []
        failures = 0
        while not self._stopping or unacked:
            try:
                if unacked:
                    await self.transport.ack(self.group, partition, unacked)
                    unacked = []
                if self._stopping:
                    return
                batch = await self.transport.read(self.group, self.consumer, partition,
                                                  count=self.config.batch_size,
                                                  block_ms=self.config.block_ms)
                failures = 0
            except TransportUnavailableError:
                if self._stopping:
                    return
                failures += 1
                await asyncio.sleep(min(2.0, 0.05 * 2 ** min(failures, 6)))
                continue
            if batch:
                await self._process_batch(batch)
                unacked = [d.message_id for d in batch]

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
            handlers = [s.handler for s in self.subscriptions if s.matches(event.event_type)]
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
        while True:
            if error is not None:
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
