"""EventBus: publish through the outbox, subscribe by type or prefix, run the consumers."""

from __future__ import annotations

import functools
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.base import Executable

from yabot.domain.events import BaseEvent, validate_event
from yabot.domain.health import ComponentHealth
from yabot.events.group_commit import GroupCommit
from yabot.events.handler_context import HandlerContext, Publisher
from yabot.events.handler_errors import HandlerError
from yabot.events.outbox import Outbox
from yabot.events.processor import ConsumerConfig, GroupWorker, Handler, Subscription
from yabot.events.relay import Relay, RelayConfig
from yabot.events.retention import purge_older_than
from yabot.events.transports.base import DeadLetter, Delivery, Transport
from yabot.logs import get_logger
from yabot.observability.metrics import Metrics
from yabot.storage.manager import probe
from yabot.storage.sql.database import Database, execute
from yabot.storage.sql.dialect import dialect_insert
from yabot.storage.sql.tables import dead_letters, event_log, processed_events
from yabot.storage.sql.unit_of_work import joined

log = get_logger(__name__)


@functools.lru_cache(maxsize=128)
def _marks(dialect: str, count: int) -> Executable:
    """`INSERT … ON CONFLICT DO NOTHING RETURNING event_id` for `count` marks of one group
    (parameters `group`, `e0` … `e{count-1}`), built once per size."""
    group: sa.BindParameter[str] = sa.bindparam("group")
    rows = [{"consumer_group": group, "event_id": sa.bindparam(f"e{i}")} for i in range(count)]
    marks: Executable = (dialect_insert(processed_events, dialect).values(rows)
                         .on_conflict_do_nothing().returning(processed_events.c.event_id))
    return marks


@dataclass(frozen=True, kw_only=True)
class BusConfig:
    relay: RelayConfig = field(default_factory=RelayConfig)
    consumer: ConsumerConfig = field(default_factory=ConsumerConfig)
    event_log_retention: timedelta = timedelta(days=30)
    # longer than any redelivery: a mark must outlive every retry of its event
    processed_retention: timedelta = timedelta(days=7)


class EventBus:
    def __init__(self, db: Database, transport: Transport, config: BusConfig | None = None,
                 *, metrics: Metrics | None = None) -> None:
        self.db, self.transport, self.metrics = db, transport, metrics
        self.config = config or BusConfig()
        self.outbox = Outbox(db)
        self.relay = Relay(self.outbox, transport, self.config.relay)
        self.consumer_name = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._workers: dict[str, GroupWorker] = {}
        self._publishes: GroupCommit[BaseEvent] = GroupCommit(self._commit_publishes)
        self._started = False

    # --- subscribing ---------------------------------------------------------------
    def subscribe(self, pattern: str, *, group: str) -> Callable[[Handler], Handler]:
        """Decorator: `@bus.subscribe("reaction_detected", group="coordinator")` or `"user_*"`."""
        def register(handler: Handler) -> Handler:
            self.add_subscriber(pattern, handler, group=group)
            return handler
        return register

    def add_subscriber(self, pattern: str, handler: Handler, *, group: str,
                       accepts: Callable[[BaseEvent], bool] | None = None) -> None:
        """`accepts`: a cheap test; an event it refuses is acknowledged unhandled."""
        if self._started:
            raise RuntimeError("subscribe before the bus starts")
        worker = self._workers.get(group)
        if worker is None:
            worker = self._workers[group] = GroupWorker(
                group=group, consumer=self.consumer_name, transport=self.transport,
                config=self.config.consumer, handle_batch=self._handle_batch,
                dead_letter=self._dead_letter)
        worker.subscriptions.append(Subscription(pattern=pattern, handler=handler,
                                                 accepts=accepts))

    # --- publishing ----------------------------------------------------------------
    async def publish(self, *events: BaseEvent, conn: AsyncConnection | None = None) -> None:
        """Write events to the outbox: in `conn`'s transaction, or in one of their own.

        With `conn`, call `notify()` after your commit (or use `transaction()`).
        """
        checked = [validate_event(e) for e in events]
        if conn is not None:
            await Outbox.add(conn, checked)
            return
        if joined(self.db) is not None:  # an update's unit of work: they commit with it
            async with self.transaction() as tx:
                await tx.publish(*checked)
            return
        start = time.perf_counter()
        # group commit: publishes that arrive while a commit runs share the next one, and
        # each returns after its own commit; if a shared one fails, each commits alone
        if not await self._publishes.submit(checked):
            self.relay.handoff(await self.outbox.add_own_transaction(checked))
        if self.metrics is not None:
            self.metrics.event_publish.observe(time.perf_counter() - start)
        self.notify()

    async def _commit_publishes(self, events: list[BaseEvent]) -> None:
        self.relay.handoff(await self.outbox.add_own_transaction(events))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Publisher]:
        """A write transaction whose state and published events commit together."""
        async with self.db.write() as conn:
            publisher = Publisher(conn=conn)
            yield publisher

        def committed() -> None:
            if publisher.published:
                self.notify()
            publisher.committed()

        if (uow := joined(self.db)) is not None:  # a block of an update's unit of work
            uow.on_commit(committed)
        else:
            committed()

    def notify(self) -> None:
        """Wake the relay after a commit that published."""
        self.relay.wake()

    # --- lifecycle -----------------------------------------------------------------
    async def start(self, *, consume: bool = True, relay: bool = True) -> None:
        await self.transport.start()
        self._started = True
        if consume:
            for worker in self._workers.values():
                await worker.start()  # creates its consumer group, retrying while Redis is down
        if relay:
            await self.relay.start()
        log.info("event bus started", transport=self.transport.name,
                 groups=sorted(self._workers) if consume else [], relay=relay)

    async def stop(self) -> None:
        """Stop intake, drain in-flight handlers, flush the relay, close the transport."""
        for worker in self._workers.values():
            await worker.stop()
        await self.relay.stop()
        await self.transport.close()
        log.info("event bus stopped")

    async def purge_event_log(self) -> int:
        """Delete audit rows older than the event-log retention, in short batches."""
        return await purge_older_than(self.db, event_log, event_log.c.timestamp,
                                      self.config.event_log_retention)

    async def purge_processed_marks(self) -> int:
        """Delete idempotency marks older than the processed-marks retention, in batches."""
        return await purge_older_than(self.db, processed_events,
                                      processed_events.c.processed_at,
                                      self.config.processed_retention)

    async def health(self) -> dict[str, ComponentHealth]:
        transport = await probe(self.transport.name, self._transport_ok)
        try:
            transport.detail["outbox_backlog"] = await self.outbox.backlog()
        except Exception as exc:
            transport.detail["outbox_backlog"] = f"unknown ({type(exc).__name__})"
        transport.detail["relay"] = "sending" if self.relay.transport_up else "holding events"
        return {"events": transport}

    async def _transport_ok(self) -> None:
        health = await self.transport.health()
        if not health.ok:
            raise ConnectionError(str(health.detail.get("error", "transport down")))

    # --- consuming -----------------------------------------------------------------
    async def _handle_batch(self, group: str,
                            items: list[tuple[BaseEvent, list[Handler]]]) -> None:
        """`_run_batch`, timed per group; a failed attempt counts in `failed_events`."""
        if self.metrics is None:
            await self._run_batch(group, items)
            return
        start = time.perf_counter()
        try:
            await self._run_batch(group, items)
        except Exception:
            self.metrics.failed_events.labels(group).inc()
            raise
        finally:
            self.metrics.event_processing.labels(group).observe(time.perf_counter() - start)

    async def _run_batch(self, group: str,
                            items: list[tuple[BaseEvent, list[Handler]]]) -> None:
        """Run handlers once per event: their effects and the processed marks commit together.

        Events already in `processed_events` for this group (redeliveries) are skipped.
        """
        ids = list(dict.fromkeys(event.event_id for event, _ in items))
        async with self.db.write() as conn:
            fresh = await self._mark_processed(conn, group, ids)
            ctx = HandlerContext(conn=conn, group=group)
            for event, handlers in items:
                if event.event_id in fresh:
                    fresh.discard(event.event_id)
                    for handler in handlers:
                        try:
                            await handler(event, ctx)
                        except Exception as exc:
                            raise HandlerError(event.event_id, exc) from exc
        if ctx.published:
            self.notify()
        ctx.committed()

    async def _mark_processed(self, conn: AsyncConnection, group: str,
                              ids: list[str]) -> set[str]:
        """Insert `(group, id)` marks; return the ids that were not marked before (on SQLite
        one hop to the driver's thread, inside the handlers' transaction)."""
        values: dict[str, str] = {f"e{i}": event_id for i, event_id in enumerate(ids)}
        values["group"] = group
        found = await execute(conn, _marks(conn.dialect.name, len(ids)), values)
        return set(found.scalars())

    async def _dead_letter(self, delivery: Delivery, group: str, error: str,
                           attempts: int) -> None:
        """One `dead_letters` row per (group, event): the processed mark commits with it, so
        a redelivery (its XACK lost) is skipped instead of failing and dead-lettered again.
        A replay removes the mark (`replay_dead_letters`)."""
        async with self.db.write() as conn:
            if not await self._mark_processed(conn, group, [delivery.event_id]):
                return  # handled or dead-lettered already (another delivery of it)
            await conn.execute(dead_letters.insert().values(
                event_id=delivery.event_id, event_type=delivery.event_type,
                consumer_group=group, event_data=delivery.data, error=error[:4000],
                attempts=attempts))
        try:
            await self.transport.dead_letter(DeadLetter(
                event_id=delivery.event_id, event_type=delivery.event_type, group=group,
                data=delivery.data, error=error[:4000], attempts=attempts))
        except Exception as exc:  # the table is the record; the stream is a convenience
            log.warning("dead-letter stream write failed", error=str(exc))
