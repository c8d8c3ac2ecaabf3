"""Reading the Redis partition streams: XAUTOCLAIM takeover, then XREADGROUP (one call over
every owned partition in `read_many`). A mixin of RedisStreamsTransport."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ResponseError

from yabot.events.transports.base import Delivery, TransportUnavailableError
from yabot.events.transports.redis_errors import is_nogroup, unavailable
from yabot.logs import get_logger

log = get_logger(__name__)


class RedisReads:
    _client: Redis | RedisCluster
    _blocking: Redis | RedisCluster
    _owned: dict[tuple[str, str], set[int]]
    _claimed_at: dict[tuple[str, str], float]
    _takeover: dict[tuple[str, str, int], str]
    lease_ttl_s: float
    max_block_ms: int

    def stream(self, partition: int) -> str:
        raise NotImplementedError

    async def _create_group(self, group: str, partitions: Iterable[int]) -> None:
        raise NotImplementedError

    async def read(self, group: str, consumer: str, partition: int, *, count: int,
                   block_ms: int) -> list[Delivery]:
        if not self._owns(group, consumer, partition):
            await asyncio.sleep(min(max(block_ms, 0), self.max_block_ms) / 1000)
            return []
        for attempt in (1, 2):
            try:
                with self._rereading_on_failure(group, consumer, partition), \
                        unavailable("read"):
                    while (group, consumer, partition) in self._takeover:
                        taken = await self._take_over(group, consumer, partition, count)
                        if taken:
                            return taken
                    return await self._read_new(group, consumer, partition, count, block_ms)
            except ResponseError as exc:
                if not is_nogroup(exc) or attempt == 2:
                    raise
                log.warning("redis_group_missing_recreating", group=group, partition=partition)
                await self._create_group(group, range(partition, partition + 1))
        return []

    async def read_many(self, group: str, consumer: str, partitions: set[int], *, count: int,
                        block_ms: int) -> list[Delivery]:
        """One XREADGROUP over every owned partition; partitions still taking over what a
        previous owner left pending are read alone first (XAUTOCLAIM)."""
        owned = sorted(p for p in partitions if self._owns(group, consumer, p))
        block = min(max(block_ms, 0), self.max_block_ms)
        if not owned:
            await asyncio.sleep(block / 1000)
            return []
        taking = [p for p in owned if (group, consumer, p) in self._takeover]
        if taking or isinstance(self._client, RedisCluster):  # a cluster: no cross-slot read
            batch: list[Delivery] = []
            for p in taking or owned:
                try:
                    batch += await self.read(group, consumer, p, count=count, block_ms=0)
                except TransportUnavailableError:
                    if batch:  # keep what was read (pending for us); p is re-read later
                        return batch
                    raise
            if not batch and not taking:
                await asyncio.sleep(min(block, 20) / 1000)
            return batch
        for attempt in (1, 2):
            try:
                with self._rereading_many(group, consumer, owned), unavailable("read"):
                    return await self._read_streams(group, consumer, owned, count, block)
            except ResponseError as exc:
                if not is_nogroup(exc) or attempt == 2:
                    raise
                log.warning("redis_group_missing_recreating", group=group)
                await self._create_group(group, owned)
        return []

    async def _read_streams(self, group: str, consumer: str, owned: list[int], count: int,
                            block: int) -> list[Delivery]:
        streams = {self.stream(p): ">" for p in owned}
        partition_of = {self.stream(p): p for p in owned}
        client = self._blocking if block > 0 else self._client
        reply = await client.xreadgroup(group, consumer, streams,  # type: ignore[arg-type]
                                        count=count, block=block or None)
        out: list[Delivery] = []
        for stream, entries in sorted(_stream_entries(reply),
                                      key=lambda se: partition_of[str(se[0])]):
            p = partition_of[str(stream)]
            out.extend(self._delivery(p, i, f, 1) for i, f in entries if f)
        return out

    @contextmanager
    def _rereading_many(self, group: str, consumer: str, owned: list[int]) -> Iterator[None]:
        try:
            yield
        except TransportUnavailableError:
            for p in owned:
                self._takeover.setdefault((group, consumer, p), "0-0")
            raise

    @contextmanager
    def _rereading_on_failure(self, group: str, consumer: str, partition: int) -> Iterator[None]:
        """If a read fails, its reply may be lost while Redis recorded the entries as pending
        for us: take over our own pending entries first on the next read."""
        try:
            yield
        except TransportUnavailableError:
            self._takeover.setdefault((group, consumer, partition), "0-0")
            raise

    def _owns(self, group: str, consumer: str, partition: int) -> bool:
        """Owned as of the last claim, and that claim is younger than the lease TTL."""
        claimed_at = self._claimed_at.get((group, consumer), 0.0)
        fresh = time.monotonic() - claimed_at < self.lease_ttl_s
        return fresh and partition in self._owned.get((group, consumer), set())

    async def _take_over(self, group: str, consumer: str, partition: int,
                         count: int) -> list[Delivery]:
        """XAUTOCLAIM what earlier owners left pending (oldest first), with delivery counts."""
        key = (group, consumer, partition)
        stream = self.stream(partition)
        reply = await self._client.xautoclaim(stream, group, consumer, min_idle_time=0,
                                              start_id=self._takeover[key], count=count)
        next_id, entries = str(reply[0]), [(i, f) for i, f in reply[1] if f]
        if next_id == "0-0":
            del self._takeover[key]
        else:
            self._takeover[key] = next_id
        if not entries:
            return []
        pending = await self._client.xpending_range(
            stream, group, min=entries[0][0], max=entries[-1][0], count=len(entries) * 2,
            consumername=consumer)
        counts = {str(row["message_id"]): int(row["times_delivered"]) for row in pending}
        return [self._delivery(partition, i, f, counts.get(i, 2)) for i, f in entries]

    async def _read_new(self, group: str, consumer: str, partition: int, count: int,
                        block_ms: int) -> list[Delivery]:
        streams = {self.stream(partition): ">"}
        if block_ms > 0:
            reply = await self._blocking.xreadgroup(
                group, consumer, streams, count=count,  # type: ignore[arg-type]
                block=min(block_ms, self.max_block_ms))
        else:
            reply = await self._client.xreadgroup(group, consumer, streams,  # type: ignore[arg-type]
                                                  count=count)
        out: list[Delivery] = []
        for _stream, entries in _stream_entries(reply):
            out.extend(self._delivery(partition, i, f, 1) for i, f in entries if f)
        return out

    def _delivery(self, partition: int, message_id: str, fields: dict[str, str],
                  delivery_count: int) -> Delivery:
        return Delivery(partition=partition, message_id=message_id,
                        event_id=fields.get("event_id", ""),
                        event_type=fields.get("event_type", ""),
                        key=fields.get("key") or None, data=fields.get("data", ""),
                        delivery_count=delivery_count)


def _stream_entries(reply: Any) -> list[tuple[str, list[tuple[str, dict[str, str]]]]]:
    """XREADGROUP reply as [(stream, [(id, fields)])] for both RESP2 lists and RESP3 dicts."""
    if not reply:
        return []
    if isinstance(reply, dict):
        return [(k, v[0] if v and isinstance(v[0], list) else v) for k, v in reply.items()]
    return [(stream, entries) for stream, entries in reply]


