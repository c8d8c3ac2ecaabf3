"""Redis Streams transport: one stream per partition, consumer groups, leased partitions.

Durable on send (XADD returned). Every Redis failure surfaces as TransportUnavailableError
quickly (short timeouts, one immediate retry), and the clients reconnect by themselves.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import (
    ConnectionError as RedisConnectionError,
)
from redis.exceptions import (
    RedisClusterException,
    RedisError,
    ResponseError,
)
from redis.exceptions import (
    TimeoutError as RedisTimeoutError,
)

from yabot.events.transports.base import (
    DeadLetter,
    Delivery,
    OutgoingMessage,
    Transport,
    TransportHealth,
    TransportUnavailableError,
)
from yabot.events.transports.redis_clients import build_client
from yabot.events.transports.redis_leases import LeaseManager, stream_key
from yabot.events.transports.redis_markers import MarkedSender
from yabot.logging import get_logger
from yabot.settings import RedisSettings

log = get_logger(__name__)
RedisClient = Redis | RedisCluster


@dataclass(frozen=True, kw_only=True)
class RedisStreamsConfig:
    stream_prefix: str = "yabot:events"
    partitions: int = 16
    maxlen: int = 100_000  # per partition stream, approximate (MAXLEN ~)
    lease_ttl_ms: int = 5000
    publish_channel: bool = False  # also PUBLISH {stream_prefix}:{event_type}
    dead_stream: str = "yabot:events:dead"
    dead_maxlen: int = 100_000
    socket_timeout_s: float = 0.5
    connect_timeout_s: float = 0.5
    retries: int = 1  # immediate retries on a connection error (a stale pooled socket)
    max_block_ms: int = 10_000  # read(block_ms=...) is capped at this


@contextmanager
def _unavailable(op: str, *, any_error: bool = False) -> Iterator[None]:
    """Map connection-level Redis failures (all failures if any_error) to the port's error."""
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError, RedisClusterException, OSError) as exc:
        raise TransportUnavailableError(_describe(op, exc)) from exc
    except ResponseError as exc:
        if any_error or _is_transient(exc):
            raise TransportUnavailableError(_describe(op, exc)) from exc
        raise
    except RedisError as exc:
        raise TransportUnavailableError(_describe(op, exc)) from exc


def _describe(op: str, exc: Exception) -> str:
    """Short error text (redis-py puts whole client reprs into some messages)."""
    return f"redis {op} failed: {type(exc).__name__}: {str(exc)[:160]}"


def _is_transient(exc: ResponseError) -> bool:
    text = str(exc)
    return text.startswith(("READONLY", "LOADING", "CLUSTERDOWN", "TRYAGAIN", "MASTERDOWN",
                            "OOM", "MOVED", "ASK"))


def _is_nogroup(exc: ResponseError) -> bool:
    return str(exc).startswith("NOGROUP")


class RedisStreamsTransport(Transport):
    """Streams `{prefix}:{pN}`, one consumer group per subscriber group."""

    name = "redis_streams"
    durable_on_send = True

    def __init__(self, *, client: RedisClient, blocking_client: RedisClient,
                 config: RedisStreamsConfig | None = None) -> None:
        self.config = config or RedisStreamsConfig()
        self.partitions = self.config.partitions
        self._client = client
        self._blocking = blocking_client
        self._leases = LeaseManager(client, prefix=self.config.stream_prefix,
                                    partitions=self.partitions, ttl_ms=self.config.lease_ttl_ms)
        self._sender = MarkedSender(client, prefix=self.config.stream_prefix,
                                    partitions=self.partitions, maxlen=self.config.maxlen,
                                    cluster=isinstance(client, RedisCluster))
        self._owned: dict[tuple[str, str], set[int]] = {}
        self._claimed_at: dict[tuple[str, str], float] = {}  # last successful claim
        self._takeover: dict[tuple[str, str, int], str] = {}  # -> XAUTOCLAIM cursor

    def stream(self, partition: int) -> str:
        return stream_key(self.config.stream_prefix, partition)

    async def start(self) -> None:
        try:
            await self._client.ping()
        except (RedisError, RedisClusterException, OSError) as exc:
            log.warning("redis_unavailable_at_start", error=type(exc).__name__)

    async def close(self) -> None:
        await self._client.aclose()
        await self._blocking.aclose()

    async def send(self, messages: Sequence[OutgoingMessage]) -> None:
        """One Lua call per partition (XADDs + marker); raises TransportDataLostError, having
        appended nothing to those partitions, when a marker shows Redis lost data."""
        if not messages:
            return
        cfg = self.config
        calls = self._sender.calls(messages)
        script = self._sender.script
        with _unavailable("send", any_error=True):
            if isinstance(self._client, RedisCluster):
                replies = await asyncio.gather(*(script(keys, args) for _p, keys, args in calls))
                if cfg.publish_channel:
                    await asyncio.gather(*(self._client.publish(
                        f"{cfg.stream_prefix}:{m.event_type}", m.data) for m in messages))
            elif not cfg.publish_channel:
                replies = [await script(keys, args) for _p, keys, args in calls]
            else:
                pipe = self._client.pipeline(transaction=False)
                for _p, keys, args in calls:
                    await script(keys, args, client=pipe)
                for m in messages:
                    pipe.publish(f"{cfg.stream_prefix}:{m.event_type}", m.data)
                replies = (await pipe.execute())[:len(calls)]
        self._sender.settle([p for parts, _k, _a in calls for p in parts],
                            [x for reply in replies for x in reply])

    async def load_markers(self) -> dict[int, int] | None:
        with _unavailable("load_markers", any_error=True):
            return await self._sender.load()

    async def verify(self) -> None:
        with _unavailable("verify", any_error=True):
            await self._sender.verify()

    async def ensure_group(self, group: str) -> None:
        await self._create_group(group, range(self.partitions))

    async def _create_group(self, group: str, partitions: Iterable[int]) -> None:
        with _unavailable("ensure_group"):
            pipe = self._client.pipeline(transaction=False)
            for p in partitions:
                pipe.xgroup_create(self.stream(p), group, id="0", mkstream=True)
            for result in await pipe.execute(raise_on_error=False):
                if isinstance(result, ResponseError) and not str(result).startswith("BUSYGROUP"):
                    raise result

    async def claim_partitions(self, group: str, consumer: str) -> set[int]:
        started = time.monotonic()  # leases are valid for ttl from (at least) now
        with _unavailable("claim_partitions"):
            result = await self._leases.claim(group, consumer)
        previous = self._owned.get((group, consumer), set())
        for p in previous - result.owned:
            self._takeover.pop((group, consumer, p), None)
        for p in result.acquired:
            self._takeover[(group, consumer, p)] = "0-0"
        self._owned[(group, consumer)] = set(result.owned)
        self._claimed_at[(group, consumer)] = started
        return set(result.owned)

    async def release(self, group: str, consumer: str) -> None:
        self._claimed_at.pop((group, consumer), None)
        for p in self._owned.pop((group, consumer), set()):
            self._takeover.pop((group, consumer, p), None)
        with _unavailable("release"):
            await self._leases.release(group, consumer)

    async def read(self, group: str, consumer: str, partition: int, *, count: int,
                   block_ms: int) -> list[Delivery]:
        if not self._owns(group, consumer, partition):
            await asyncio.sleep(min(max(block_ms, 0), self.config.max_block_ms) / 1000)
            return []
        for attempt in (1, 2):
            try:
                with self._rereading_on_failure(group, consumer, partition), \
                        _unavailable("read"):
                    while (group, consumer, partition) in self._takeover:
                        taken = await self._take_over(group, consumer, partition, count)
                        if taken:
                            return taken
                    return await self._read_new(group, consumer, partition, count, block_ms)
            except ResponseError as exc:
                if not _is_nogroup(exc) or attempt == 2:
                    raise
                log.warning("redis_group_missing_recreating", group=group, partition=partition)
                await self._create_group(group, range(partition, partition + 1))
        return []

    async def read_many(self, group: str, consumer: str, partitions: set[int], *, count: int,
                        block_ms: int) -> list[Delivery]:
        """One XREADGROUP over every owned partition; partitions still taking over what a
        previous owner left pending are read alone first (XAUTOCLAIM)."""
        owned = sorted(p for p in partitions if self._owns(group, consumer, p))
        block = min(max(block_ms, 0), self.config.max_block_ms)
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
                with self._rereading_many(group, consumer, owned), _unavailable("read"):
                    return await self._read_streams(group, consumer, owned, count, block)
            except ResponseError as exc:
                if not _is_nogroup(exc) or attempt == 2:
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

    async def ack_many(self, group: str, acks: dict[int, list[str]]) -> None:
        acks = {p: ids for p, ids in acks.items() if ids}
        if not acks:
            return
        if isinstance(self._client, RedisCluster):
            for p, ids in acks.items():
                await self.ack(group, p, ids)
            return
        with _unavailable("ack"):
            pipe = self._client.pipeline(transaction=False)
            for p, ids in acks.items():
                pipe.xack(self.stream(p), group, *ids)
            for result in await pipe.execute(raise_on_error=False):
                if isinstance(result, ResponseError) and not _is_nogroup(result):
                    raise result  # NOGROUP: the group vanished with its pending list

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
        fresh = time.monotonic() - claimed_at < self.config.lease_ttl_ms / 1000
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
                block=min(block_ms, self.config.max_block_ms))
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

    async def ack(self, group: str, partition: int, message_ids: Sequence[str]) -> None:
        if not message_ids:
            return
        try:
            with _unavailable("ack"):
                await self._client.xack(self.stream(partition), group, *message_ids)
        except ResponseError as exc:
            if not _is_nogroup(exc):
                raise  # NOGROUP: the group vanished with its pending list, nothing to ack

    async def dead_letter(self, letter: DeadLetter) -> None:
        fields: dict[str, str | int] = {
            "event_id": letter.event_id, "event_type": letter.event_type,
            "group": letter.group, "data": letter.data, "error": letter.error,
            "attempts": letter.attempts}
        with _unavailable("dead_letter", any_error=True):
            await self._client.xadd(self.config.dead_stream, fields,  # type: ignore[arg-type]
                                    maxlen=self.config.dead_maxlen, approximate=True)

    async def health(self) -> TransportHealth:
        detail: dict[str, object] = {"transport": self.name}
        try:
            started = time.perf_counter()
            await self._client.ping()
            detail["latency_ms"] = round((time.perf_counter() - started) * 1000, 3)
            if isinstance(self._client, RedisCluster):
                detail["role"] = "cluster"
            else:
                detail["role"] = (await self._client.info("replication")).get("role")
        except (RedisError, RedisClusterException, OSError) as exc:
            detail["error"] = type(exc).__name__
            return TransportHealth(ok=False, detail=detail)
        return TransportHealth(ok=True, detail=detail)


def _stream_entries(reply: Any) -> list[tuple[str, list[tuple[str, dict[str, str]]]]]:
    """XREADGROUP reply as [(stream, [(id, fields)])] for both RESP2 lists and RESP3 dicts."""
    if not reply:
        return []
    if isinstance(reply, dict):
        return [(k, v[0] if v and isinstance(v[0], list) else v) for k, v in reply.items()]
    return [(stream, entries) for stream, entries in reply]


def create_redis_transport(settings: RedisSettings,
                           config: RedisStreamsConfig | None = None) -> RedisStreamsTransport:
    """Build the transport (and its two clients) from REDIS_* settings; connects lazily."""
    cfg = config or RedisStreamsConfig()
    client = build_client(settings, socket_timeout=cfg.socket_timeout_s,
                          connect_timeout=cfg.connect_timeout_s, retries=cfg.retries)
    blocking = build_client(settings, connect_timeout=cfg.connect_timeout_s, retries=cfg.retries,
                            socket_timeout=cfg.max_block_ms / 1000 + cfg.socket_timeout_s + 1)
    return RedisStreamsTransport(client=client, blocking_client=blocking, config=cfg)
