"""Per-user event order for a consumer group, across processes, with persisted state.

Events carrying a `sequence` run in that order per user: one arriving early is buffered
(`ordering_buffer`) until its predecessors have run. A gap that stays open longer than
`gap_timeout` is logged as an alert and audited (`ordering_gaps`), then processing goes on
from the oldest buffered event. Cursor, buffer and audit rows live in the relational store
and change in the handler's transaction, so any number of instances can run.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.domain.events import BaseEvent, parse_event
from yabot.events.bus import EventBus
from yabot.events.handler_context import Publisher
from yabot.logs import get_logger
from yabot.storage.sql.dialect import insert_for
from yabot.storage.sql.tables import ordering_buffer, ordering_cursors, ordering_gaps

log = get_logger(__name__)
Dispatch = Callable[[BaseEvent, Publisher], Awaitable[None]]


@dataclass(frozen=True, kw_only=True)
class OrderingConfig:
    gap_timeout: float = 10.0  # seconds an early event waits for its predecessors
    sweep_interval: float = 1.0


class PerUserOrder:
    def __init__(self, *, group: str, bus: EventBus, dispatch: Dispatch,
                 config: OrderingConfig | None = None) -> None:
        self.group, self.bus, self.dispatch = group, bus, dispatch
        self.config = config or OrderingConfig()
        self._sweeper: asyncio.Task[None] | None = None

    async def handle(self, event: BaseEvent, tx: Publisher) -> None:
        """The bus handler: run now, buffer, or run late (audited)."""
        self.start()
        if event.sequence is None or event.user_id is None:
            await self.dispatch(event, tx)
            return
        user, seq = event.user_id, event.sequence
        expected = await self._cursor(tx.conn, user)
        if seq > expected:
            await tx.conn.execute(insert_for(tx.conn, ordering_buffer).values(
                consumer_group=self.group, user_id=user, sequence=seq,
                event_data=event.to_json(), buffered_at=time.time()).on_conflict_do_nothing())
            return
        if seq < expected:  # after its gap was given up on (e.g. a replayed dead letter)
            await self._audit(tx.conn, user, "late", seq, seq, event.event_id)
            log.warning("event arrived after its gap was closed", group=self.group,
                        user_id=user, sequence=seq, event_id=event.event_id)
            await self.dispatch(event, tx)
            return
        await self.dispatch(event, tx)
        await self._advance(tx, user, seq + 1)

    async def sweep(self) -> int:
        """Close gaps older than the timeout; returns how many were closed."""
        cutoff = time.time() - self.config.gap_timeout
        async with self.bus.db.read() as conn:
            users = list((await conn.execute(
                sa.select(ordering_buffer.c.user_id).distinct()
                .where(ordering_buffer.c.consumer_group == self.group,
                       ordering_buffer.c.buffered_at <= cutoff))).scalars())
        closed = 0
        for user in users:
            async with self.bus.transaction() as tx:
                expected = await self._cursor(tx.conn, user)
                first, oldest = (await tx.conn.execute(
                    sa.select(sa.func.min(ordering_buffer.c.sequence),
                              sa.func.min(ordering_buffer.c.buffered_at))
                    .where(ordering_buffer.c.consumer_group == self.group,
                           ordering_buffer.c.user_id == user))).one()
                if first is None or oldest > cutoff:
                    continue  # filled meanwhile (another instance, or the missing event)
                if first > expected:
                    await self._audit(tx.conn, user, "gap", expected, first - 1, None)
                    log.error("ALERT: event sequence gap not filled in time; going on",
                              group=self.group, user_id=user, missing_from=expected,
                              missing_to=first - 1, timeout_s=self.config.gap_timeout)
                    closed += 1
                await self._advance(tx, user, max(first, expected))
        return closed

    def start(self) -> None:
        """Run the gap sweeper in the background (idempotent; needs a running loop)."""
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.create_task(self._sweep_loop(), name=f"gaps-{self.group}")

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None

    # --- internals ------------------------------------------------------------------
    async def _sweep_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.sweep_interval)
            try:
                await self.sweep()
            except Exception as exc:
                log.warning("ordering sweep failed", group=self.group, error=str(exc))

    async def _advance(self, tx: Publisher, user: str, expected: int) -> None:
        """Run buffered events from `expected` on while they are contiguous; save cursor."""
        conn = tx.conn
        where = (ordering_buffer.c.consumer_group == self.group,
                 ordering_buffer.c.user_id == user)
        while True:  # taken out of the buffer in one statement (usually: nothing there)
            data = (await conn.execute(ordering_buffer.delete().where(
                *where, ordering_buffer.c.sequence == expected)
                .returning(ordering_buffer.c.event_data))).scalar()
            if data is None:
                break
            await self.dispatch(parse_event(data), tx)
            expected += 1
        await conn.execute(ordering_cursors.update().where(
            ordering_cursors.c.consumer_group == self.group,
            ordering_cursors.c.user_id == user).values(next_sequence=expected))

    async def _cursor(self, conn: AsyncConnection, user: str) -> int:
        """The next expected sequence (1 for a new user), in one statement; the upsert locks
        the row on PostgreSQL until the transaction ends."""
        stmt = insert_for(conn, ordering_cursors).values(
            consumer_group=self.group, user_id=user, next_sequence=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=[ordering_cursors.c.consumer_group, ordering_cursors.c.user_id],
            set_={"next_sequence": ordering_cursors.c.next_sequence})
        return int((await conn.execute(
            stmt.returning(ordering_cursors.c.next_sequence))).scalar_one())

    async def _audit(self, conn: AsyncConnection, user: str, kind: str, first: int,
                     last: int, event_id: str | None) -> None:
        await conn.execute(ordering_gaps.insert().values(
            consumer_group=self.group, user_id=user, kind=kind, first_missing=first,
            last_missing=last, event_id=event_id))
