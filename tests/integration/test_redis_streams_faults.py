"""Redis Streams transport under faults: Redis killed and restarted, leases expiring."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr

from tests.fixtures.redis import RedisServer
from yabot.events.transports.base import (
    OutgoingMessage,
    TransportDataLostError,
    TransportUnavailableError,
    partition_for,
)
from yabot.events.transports.redis_streams import (
    RedisStreamsConfig,
    RedisStreamsTransport,
    create_redis_transport,
)
from yabot.settings import RedisSettings

pytestmark = [pytest.mark.redis, pytest.mark.slow]
PARTITIONS = 4


def msg(i: int, key: str = "u1") -> OutgoingMessage:
    return OutgoingMessage(event_id=f"e{i}", event_type="user_activity", key=key,
                           data=json.dumps({"i": i}))


def make(server: RedisServer, **config: int) -> RedisStreamsTransport:
    cfg = RedisStreamsConfig(partitions=PARTITIONS, **config)  # type: ignore[arg-type]
    return create_redis_transport(RedisSettings(url=SecretStr(server.url), password=None), cfg)


@pytest.fixture
async def transport(private_redis: RedisServer) -> AsyncIterator[RedisStreamsTransport]:
    t = make(private_redis)
    await t.start()
    yield t
    await t.close()


async def read_all(t: RedisStreamsTransport, group: str, consumer: str, expected: int,
                   timeout: float = 10.0) -> list[str]:
    owned = await t.claim_partitions(group, consumer)
    ids: list[str] = []
    deadline = time.monotonic() + timeout
    while len(ids) < expected and time.monotonic() < deadline:
        for p in owned:
            batch = await t.read(group, consumer, p, count=200, block_ms=0)
            await t.ack(group, p, [d.message_id for d in batch])
            ids.extend(d.event_id for d in batch)
    return ids


async def test_lost_data_is_detected_and_nothing_is_appended_before_the_replay(
        transport: RedisStreamsTransport, private_redis: RedisServer) -> None:
    assert await transport.load_markers() == dict.fromkeys(range(PARTITIONS), 0)
    await transport.send([OutgoingMessage(event_id=f"e{i}", event_type="user_activity",
                                          key="u1", data="{}", seq=i + 1) for i in range(5)])
    p = partition_for("u1", PARTITIONS)
    assert (await transport.load_markers() or {})[p] == 5
    assert private_redis.command("FLUSHALL") == "+OK"  # what a restart without AOF leaves

    with pytest.raises(TransportDataLostError) as lost:
        await transport.send([OutgoingMessage(event_id="e9", event_type="user_activity",
                                              key="u1", data="{}", seq=9)])
    assert lost.value.partitions == {p}
    assert private_redis.command("XLEN", transport.stream(p)) == ":0"  # nothing appended
    await transport.send([OutgoingMessage(event_id="e1", event_type="user_activity",
                                          key="u1", data="{}", seq=1)])  # the replay
    assert private_redis.command("XLEN", transport.stream(p)) == ":1"

    assert private_redis.command("FLUSHALL") == "+OK"  # idle relay: verify() finds it
    with pytest.raises(TransportDataLostError):
        await transport.verify()
    await transport.verify()  # the new state is the baseline now


async def test_send_fails_fast_when_redis_is_down(
        transport: RedisStreamsTransport, private_redis: RedisServer) -> None:
    await transport.send([msg(0)])  # the pool now holds a connection that will go stale
    private_redis.kill()
    for _ in range(3):
        started = time.perf_counter()
        with pytest.raises(TransportUnavailableError):
            await transport.send([msg(1)])
        # fast = not redis-py's default retry budget of about 4 s; a loose bound, since a
        # loaded CI machine took 0.56 s against the earlier 0.2 s
        assert time.perf_counter() - started < 2.0
    assert not (await transport.health()).ok


async def test_restart_resumes_without_losing_messages(
        transport: RedisStreamsTransport, private_redis: RedisServer) -> None:
    await transport.ensure_group("g")
    await transport.send([msg(i, key=f"k{i % 9}") for i in range(100)])
    owned = await transport.claim_partitions("g", "c1")
    p = partition_for("k1", PARTITIONS)
    in_flight = await transport.read("g", "c1", p, count=3, block_ms=100)  # never acked
    assert len(in_flight) == 3
    assert len(await read_all(transport, "g", "c1", 97)) == 97
    blocked = asyncio.create_task(transport.read("g", "c1", p, count=10, block_ms=5000))
    await asyncio.sleep(0.05)
    private_redis.kill()
    with pytest.raises(TransportUnavailableError):
        await asyncio.wait_for(blocked, 5)
    with pytest.raises(TransportUnavailableError):
        await transport.send([msg(999)])
    with pytest.raises(TransportUnavailableError):
        await transport.claim_partitions("g", "c1")

    private_redis.start()
    await transport.send([msg(i, key=f"k{i % 9}") for i in range(100, 150)])
    assert await transport.claim_partitions("g", "c1") == owned
    ids = await read_all(transport, "g", "c1", 53)
    assert {f"e{i}" for i in range(100, 150)} <= set(ids)
    # the failed read may have lost a reply: the owner takes back its own pending entries first
    assert {d.event_id for d in in_flight} <= set(ids)
    inspector = aioredis.Redis.from_url(private_redis.url, decode_responses=True)
    try:
        lengths = [await inspector.xlen(transport.stream(q)) for q in range(PARTITIONS)]
        assert sum(lengths) == 150  # nothing XADDed before the crash was lost
    finally:
        await inspector.aclose()
    await transport.release("g", "c1")
    assert p in await transport.claim_partitions("g", "c2")
    assert await transport.read("g", "c2", p, count=10, block_ms=100) == []  # all acked
    assert (await transport.health()).ok


async def test_lost_group_is_recreated(
        transport: RedisStreamsTransport, private_redis: RedisServer) -> None:
    await transport.ensure_group("g")
    await transport.claim_partitions("g", "c1")
    assert private_redis.command("FLUSHALL") == "+OK"  # Redis came back without its data
    await transport.send([msg(i) for i in range(5)])
    ids = await read_all(transport, "g", "c1", 5)
    assert ids == [f"e{i}" for i in range(5)]


async def test_expired_lease_is_taken_over_with_pending_messages(
        private_redis: RedisServer) -> None:
    ttl_ms = 400
    first = make(private_redis, lease_ttl_ms=ttl_ms)
    second = make(private_redis, lease_ttl_ms=ttl_ms)
    inspector = aioredis.Redis.from_url(private_redis.url, decode_responses=True)
    try:
        await first.ensure_group("g")
        await first.send([msg(i) for i in range(4)])
        p = partition_for("u1", PARTITIONS)
        assert p in await first.claim_partitions("g", "dead-worker")
        taken = await first.read("g", "dead-worker", p, count=2, block_ms=100)
        assert [d.event_id for d in taken] == ["e0", "e1"]
        assert p not in await second.claim_partitions("g", "live-worker")  # still leased
        # "dead-worker" stops renewing: its lease and heartbeat expire.
        deadline = time.monotonic() + 5
        owned: set[int] = set()
        while p not in owned and time.monotonic() < deadline:
            await asyncio.sleep(ttl_ms / 4000)
            owned = await second.claim_partitions("g", "live-worker")
        assert p in owned
        again = await second.read("g", "live-worker", p, count=10, block_ms=100)
        assert [(d.event_id, d.delivery_count) for d in again] == [("e0", 2), ("e1", 2)]
        await second.ack("g", p, [d.message_id for d in again])
        rest = await second.read("g", "live-worker", p, count=10, block_ms=100)
        assert [d.event_id for d in rest] == ["e2", "e3"]
        await second.ack("g", p, [d.message_id for d in rest])
        summary = await inspector.xpending(second.stream(p), "g")
        assert summary["pending"] == 0
        lease_owner = await inspector.get(f"{second.stream(p)}:lease:g")
        assert lease_owner == "live-worker"
    finally:
        await first.close()
        await second.close()
        await inspector.aclose()


async def test_publish_channel_mirrors_events(private_redis: RedisServer) -> None:
    t = make(private_redis, publish_channel=True)
    listener = aioredis.Redis.from_url(private_redis.url, decode_responses=True)
    pubsub = listener.pubsub()
    try:
        await pubsub.subscribe("yabot:events:user_activity")
        await pubsub.get_message(timeout=1)  # the subscribe confirmation
        await t.send([msg(1)])
        received = await pubsub.get_message(ignore_subscribe_messages=True, timeout=2)
        assert received is not None and json.loads(received["data"]) == {"i": 1}
    finally:
        await pubsub.aclose()
        await listener.aclose()
        await t.close()


async def test_redis_password_overrides_the_url_and_is_never_shown(
        private_redis: RedisServer) -> None:
    assert private_redis.command("CONFIG", "SET", "requirepass", "s3cret-pw") == "+OK"
    url = f"redis://:wrong-pw@127.0.0.1:{private_redis.port}/0"
    cfg = RedisStreamsConfig(partitions=PARTITIONS)
    good = create_redis_transport(
        RedisSettings(url=SecretStr(url), password=SecretStr("s3cret-pw")), cfg)
    bad = create_redis_transport(RedisSettings(url=SecretStr(url), password=None), cfg)
    try:
        await good.send([msg(1)])
        assert (await good.health()).ok
        with pytest.raises(TransportUnavailableError) as info:
            await bad.send([msg(2)])
        assert "wrong-pw" not in str(info.value) and "s3cret" not in str(info.value)
    finally:
        await good.close()
        await bad.close()


async def test_factory_builds_sentinel_and_cluster_clients_lazily() -> None:
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster

    sentinel = create_redis_transport(RedisSettings(
        url=None, password=SecretStr("pw"), sentinels="127.0.0.1:1,127.0.0.1:2",
        sentinel_master="mymaster"))
    cluster = create_redis_transport(RedisSettings(
        url=SecretStr("rediss://127.0.0.1:1"), password=None, cluster=True))
    assert isinstance(sentinel._client, Redis)
    assert isinstance(cluster._client, RedisCluster)
    started = time.perf_counter()
    with pytest.raises(TransportUnavailableError):  # no sentinel listens there
        await sentinel.send([msg(1)])
    assert time.perf_counter() - started < 2.0  # no multi-second (~4 s) retry loop on discovery
    await sentinel.close()
    await cluster.close()
