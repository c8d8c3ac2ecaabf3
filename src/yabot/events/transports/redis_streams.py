"""Redis Streams transport: one stream per partition, consumer groups, leased partitions.

Durable on send (XADD returned). Every Redis failure surfaces as TransportUnavailableError
quickly (short timeouts, one immediate retry), and the clients reconnect by themselves.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import (
    RedisClusterException,
    RedisError,
    ResponseError,
)

from yabot.events.transports.base import (
    DeadLetter,
    OutgoingMessage,
    Transport,
    TransportHealth,
)
from yabot.events.transports.redis_errors import is_nogroup, unavailable
from yabot.events.transports.redis_leases import LeaseManager, stream_key
from yabot.events.transports.redis_markers import MarkedSender
from yabot.events.transports.redis_reads import RedisReads
from yabot.logs import get_logger
from yabot.redis_clients import build_client
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


class RedisStreamsTransport(RedisReads, Transport):
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
        self.lease_ttl_s = self.config.lease_ttl_ms / 1000
        self.max_block_ms = self.config.max_block_ms
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
        with unavailable("send", any_error=True):
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
        with unavailable("load_markers", any_error=True):
            return await self._sender.load()

    async def verify(self) -> None:
        with unavailable("verify", any_error=True):
            await self._sender.verify()

    async def ensure_group(self, group: str) -> None:
        await self._create_group(group, range(self.partitions))

    async def _create_group(self, group: str, partitions: Iterable[int]) -> None:
        with unavailable("ensure_group"):
            pipe = self._client.pipeline(transaction=False)
            for p in partitions:
                pipe.xgroup_create(self.stream(p), group, id="0", mkstream=True)
            for result in await pipe.execute(raise_on_error=False):
                if isinstance(result, ResponseError) and not str(result).startswith("BUSYGROUP"):
                    raise result

    async def claim_partitions(self, group: str, consumer: str) -> set[int]:
        started = time.monotonic()  # leases are valid for ttl from (at least) now
        with unavailable("claim_partitions"):
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
        with unavailable("release"):
            await self._leases.release(group, consumer)

    async def ack_many(self, group: str, acks: dict[int, list[str]]) -> None:
        acks = {p: ids for p, ids in acks.items() if ids}
        if not acks:
            return
        if isinstance(self._client, RedisCluster):
            for p, ids in acks.items():
                await self.ack(group, p, ids)
            return
        with unavailable("ack"):
            pipe = self._client.pipeline(transaction=False)
            for p, ids in acks.items():
                pipe.xack(self.stream(p), group, *ids)
            for result in await pipe.execute(raise_on_error=False):
                if isinstance(result, ResponseError) and not is_nogroup(result):
                    raise result  # NOGROUP: the group vanished with its pending list

    async def ack(self, group: str, partition: int, message_ids: Sequence[str]) -> None:
        if not message_ids:
            return
        try:
            with unavailable("ack"):
                await self._client.xack(self.stream(partition), group, *message_ids)
        except ResponseError as exc:
            if not is_nogroup(exc):
                raise  # NOGROUP: the group vanished with its pending list, nothing to ack

    async def dead_letter(self, letter: DeadLetter) -> None:
        fields: dict[str, str | int] = {
            "event_id": letter.event_id, "event_type": letter.event_type,
            "group": letter.group, "data": letter.data, "error": letter.error,
            "attempts": letter.attempts}
        with unavailable("dead_letter", any_error=True):
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


def create_redis_transport(settings: RedisSettings,
                           config: RedisStreamsConfig | None = None) -> RedisStreamsTransport:
    """Build the transport (and its two clients) from REDIS_* settings; connects lazily."""
    cfg = config or RedisStreamsConfig()
    client = build_client(settings, socket_timeout=cfg.socket_timeout_s,
                          connect_timeout=cfg.connect_timeout_s, retries=cfg.retries)
    blocking = build_client(settings, connect_timeout=cfg.connect_timeout_s, retries=cfg.retries,
                            socket_timeout=cfg.max_block_ms / 1000 + cfg.socket_timeout_s + 1)
    return RedisStreamsTransport(client=client, blocking_client=blocking, config=cfg)
