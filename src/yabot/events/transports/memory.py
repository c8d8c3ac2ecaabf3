"""In-process transport: one shared ordered log per partition, a cursor per group.

Not durable: the relay keeps events in the outbox until the settled callback says every
group (that existed at send time) acked them, so a crash of the process loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from yabot.events.transports.base import (
    DeadLetter,
    Delivery,
    OutgoingMessage,
    SettledCallback,
    Transport,
    TransportHealth,
    partition_for,
)
from yabot.events.transports.memory_settle import Settler


@dataclass(kw_only=True)
class _Entry:
    seq: int
    message: OutgoingMessage
    waiting: set[str]  # groups (existing at send time) that have not acked yet
    settled: bool = False


@dataclass(kw_only=True)
class _Pending:
    consumer: str
    delivery_count: int


@dataclass(kw_only=True)
class _GroupPartition:
    """A group's view of one partition: cursor, pending entries, owner."""

    cursor: int
    pending: dict[int, _Pending] = field(default_factory=dict)
    owner: str | None = None
    lease_until: float = 0.0
    takeover: deque[int] = field(default_factory=deque)  # pending to redeliver first

    def low_watermark(self) -> int:
        return min(self.pending, default=self.cursor)


@dataclass(kw_only=True)
class _Group:
    parts: list[_GroupPartition]
    heartbeats: dict[str, float] = field(default_factory=dict)


class MemoryTransport(Transport):
    """Single-process transport with the same semantics as Redis Streams consumer groups."""

    name = "memory"
    durable_on_send = False

    def __init__(self, *, partitions: int = 16, lease_ttl_ms: int = 5000) -> None:
        self.partitions = partitions
        self.lease_ttl = lease_ttl_ms / 1000
        self.dead_letters: list[DeadLetter] = []  # inspectable, like the dead-letter stream
        self._logs: list[deque[_Entry]] = [deque() for _ in range(partitions)]
        self._base = [0] * partitions  # seq of _logs[p][0]
        self._next_seq = [0] * partitions
        self._any = asyncio.Condition()  # notified on every send (read_many waits on it)
        self._groups: dict[str, _Group] = {}
        self._settler = Settler()

    def set_settled_callback(self, callback: SettledCallback) -> None:
        self._settler.callback = callback

    async def start(self) -> None:
        self._settler.ensure_running()

    async def close(self) -> None:
        await self._settler.close()

    async def send(self, messages: Sequence[OutgoingMessage]) -> None:
        touched: set[int] = set()
        groups = set(self._groups)
        for message in messages:
            p = partition_for(message.key, self.partitions)
            seq = self._next_seq[p]
            self._next_seq[p] = seq + 1
            self._logs[p].append(_Entry(seq=seq, message=message, waiting=set(groups)))
            touched.add(p)
        if touched:
            async with self._any:
                self._any.notify_all()

    async def ensure_group(self, group: str) -> None:
        if group in self._groups:
            return
        first = not self._groups
        self._groups[group] = _Group(
            parts=[_GroupPartition(cursor=self._base[p]) for p in range(self.partitions)]
        )
        if first:  # messages sent while no group existed wait for the first one
            for entries in self._logs:
                for entry in entries:
                    if not entry.settled and not entry.waiting:
                        entry.waiting.add(group)

    async def claim_partitions(self, group: str, consumer: str) -> set[int]:
        await self.ensure_group(group)
        g = self._groups[group]
        now = time.monotonic()
        g.heartbeats[consumer] = now
        for name, seen in list(g.heartbeats.items()):
            if now - seen > 3 * self.lease_ttl:
                del g.heartbeats[name]
        live = sum(1 for seen in g.heartbeats.values() if now - seen <= self.lease_ttl)
        share = math.ceil(self.partitions / max(live, 1))
        mine = [p for p, gp in enumerate(g.parts) if gp.owner == consumer and gp.lease_until > now]
        for p in mine[share:]:
            g.parts[p].owner = None
        mine = mine[:share]
        for p in mine:
            g.parts[p].lease_until = now + self.lease_ttl
        for p, gp in enumerate(g.parts):
            if len(mine) >= share:
                break
            if gp.owner is None or gp.lease_until <= now:
                gp.owner, gp.lease_until = consumer, now + self.lease_ttl
                gp.takeover = deque(sorted(gp.pending))
                mine.append(p)
        return set(mine)

    async def release(self, group: str, consumer: str) -> None:
        g = self._groups.get(group)
        if g is None:
            return
        g.heartbeats.pop(consumer, None)
        for gp in g.parts:
            if gp.owner == consumer:
                gp.owner = None

    async def read(self, group: str, consumer: str, partition: int, *, count: int,
                   block_ms: int) -> list[Delivery]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(block_ms, 0) / 1000
        cond = self._any
        async with cond:
            while True:
                gp = self._owned(group, consumer, partition)
                batch = self._take(gp, consumer, partition, count) if gp is not None else []
                remaining = deadline - loop.time()
                if batch or remaining <= 0:
                    return batch
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(cond.wait(), remaining)

    async def read_many(self, group: str, consumer: str, partitions: set[int], *, count: int,
                        block_ms: int) -> list[Delivery]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(block_ms, 0) / 1000
        async with self._any:
            while True:
                batch: list[Delivery] = []
                for p in sorted(partitions):
                    gp = self._owned(group, consumer, p)
                    if gp is not None:
                        batch += self._take(gp, consumer, p, count)
                remaining = deadline - loop.time()
                if batch or remaining <= 0:
                    return batch
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._any.wait(), remaining)

    def _owned(self, group: str, consumer: str, partition: int) -> _GroupPartition | None:
        g = self._groups.get(group)
        if g is None:
            return None
        gp = g.parts[partition]
        return gp if gp.owner == consumer and gp.lease_until > time.monotonic() else None

    def _take(self, gp: _GroupPartition, consumer: str, p: int, count: int) -> list[Delivery]:
        out: list[Delivery] = []
        while gp.takeover and len(out) < count:
            seq = gp.takeover.popleft()
            pending = gp.pending.get(seq)
            if pending is None:
                continue  # acked meanwhile
            pending.consumer = consumer
            pending.delivery_count += 1
            out.append(self._delivery(p, seq, pending.delivery_count))
        if out:
            return out  # taken-over messages come alone, as with XAUTOCLAIM
        log_end = self._base[p] + len(self._logs[p])
        gp.cursor = max(gp.cursor, self._base[p])
        while gp.cursor < log_end and len(out) < count:
            seq = gp.cursor
            gp.cursor += 1
            gp.pending[seq] = _Pending(consumer=consumer, delivery_count=1)
            out.append(self._delivery(p, seq, 1))
        return out

    def _delivery(self, p: int, seq: int, delivery_count: int) -> Delivery:
        m = self._logs[p][seq - self._base[p]].message
        return Delivery(partition=p, message_id=str(seq), event_id=m.event_id,
                        event_type=m.event_type, key=m.key, data=m.data,
                        delivery_count=delivery_count)

    async def ack(self, group: str, partition: int, message_ids: Sequence[str]) -> None:
        g = self._groups.get(group)
        if g is None:
            return
        gp = g.parts[partition]
        entries, base = self._logs[partition], self._base[partition]
        for message_id in message_ids:
            seq = int(message_id)
            if gp.pending.pop(seq, None) is None or seq < base:
                continue
            entry = entries[seq - base]
            entry.waiting.discard(group)
            if not entry.waiting and not entry.settled:
                entry.settled = True
                self._settler.add(entry.message.event_id)
        self._trim(partition)
        self._settler.kick()

    def _trim(self, p: int) -> None:
        if not self._groups:
            return
        low = min(g.parts[p].low_watermark() for g in self._groups.values())
        entries = self._logs[p]
        while entries and entries[0].seq < low and entries[0].settled:
            entries.popleft()
            self._base[p] += 1

    async def dead_letter(self, letter: DeadLetter) -> None:
        self.dead_letters.append(letter)

    async def health(self) -> TransportHealth:
        retained = sum(len(entries) for entries in self._logs)
        return TransportHealth(ok=True, detail={"transport": self.name, "retained": retained,
                                                "groups": len(self._groups)})
