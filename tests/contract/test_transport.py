"""The transport contract: every transport (memory, redis_streams) passes the same suite."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr

from yabot.events.transports.base import (
    DeadLetter,
    Delivery,
    OutgoingMessage,
    Transport,
    partition_for,
)
from yabot.events.transports.memory import MemoryTransport
from yabot.events.transports.redis_streams import RedisStreamsConfig, create_redis_transport
from yabot.settings import RedisSettings

PARTITIONS = 16


@dataclass
class Harness:
    transport: Transport
    dead_letters: Callable[[], Awaitable[list[dict[str, str]]]]


@pytest.fixture(params=["memory", pytest.param("redis_streams", marks=pytest.mark.redis)])
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    if request.param == "memory":
        memory = MemoryTransport(partitions=PARTITIONS)

        async def memory_dead() -> list[dict[str, str]]:
            return [{"event_id": d.event_id, "group": d.group, "error": d.error}
                    for d in memory.dead_letters]

        await memory.start()
        yield Harness(memory, memory_dead)
        await memory.close()
        return
    url: str = request.getfixturevalue("redis_url")
    config = RedisStreamsConfig(partitions=PARTITIONS, lease_ttl_ms=2000)
    transport = create_redis_transport(RedisSettings(url=SecretStr(url), password=None), config)
    inspector = aioredis.Redis.from_url(url, decode_responses=True)

    async def redis_dead() -> list[dict[str, str]]:
        return [fields for _id, fields in await inspector.xrange(config.dead_stream)]

    await transport.start()
    yield Harness(transport, redis_dead)
    await transport.close()
    await inspector.aclose()


def msg(i: int, key: str | None = "u1", event_type: str = "user_activity") -> OutgoingMessage:
    return OutgoingMessage(event_id=f"e{i}", event_type=event_type, key=key,
                           data=json.dumps({"i": i, "key": key}))


async def drain(t: Transport, group: str, consumer: str, expected: int, *,
                partitions: set[int] | None = None, ack: bool = True,
                timeout: float = 10.0) -> list[Delivery]:
    """Read owned partitions (acking) until `expected` deliveries arrived or timeout."""
    owned = partitions if partitions is not None else await t.claim_partitions(group, consumer)
    got: list[Delivery] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(got) < expected and loop.time() < deadline:
        before = len(got)
        for p in sorted(owned):
            batch = await t.read(group, consumer, p, count=100, block_ms=0)  # no wait
            if ack and batch:
                await t.ack(group, p, [d.message_id for d in batch])
            got.extend(batch)
        if len(got) == before:
            await asyncio.sleep(0.01)
    return got


async def test_round_trip(harness: Harness) -> None:
    t = harness.transport
    await t.ensure_group("g")
    await t.send([msg(1)])
    owned = await t.claim_partitions("g", "c1")
    assert owned == set(range(PARTITIONS))
    p = partition_for("u1", PARTITIONS)
    [d] = await t.read("g", "c1", p, count=10, block_ms=1000)
    assert (d.partition, d.event_id, d.event_type, d.key, d.delivery_count) == (
        p, "e1", "user_activity", "u1", 1)
    assert json.loads(d.data) == {"i": 1, "key": "u1"}
    await t.ack("g", p, [d.message_id])
    assert await t.read("g", "c1", p, count=10, block_ms=20) == []


async def test_read_blocks_until_a_message_arrives(harness: Harness) -> None:
    t = harness.transport
    await t.ensure_group("g")
    await t.claim_partitions("g", "c1")
    p = partition_for(None, PARTITIONS)
    reader = asyncio.create_task(t.read("g", "c1", p, count=10, block_ms=3000))
    await asyncio.sleep(0.1)
    await t.send([msg(7, key=None)])
    [d] = await asyncio.wait_for(reader, 5)
    assert d.event_id == "e7" and d.key is None


async def test_order_per_partition_and_key_to_partition(harness: Harness) -> None:
    t = harness.transport
    await t.ensure_group("g")
    messages = [msg(i, key=f"user{i % 50}") for i in range(1000)]
    for start in range(0, 1000, 100):
        await t.send(messages[start:start + 100])
    got = await drain(t, "g", "c1", 1000)
    assert sorted(d.event_id for d in got) == sorted(m.event_id for m in messages)
    by_key: dict[str, list[int]] = {}
    partitions: dict[str, set[int]] = {}
    for d in got:
        assert d.key is not None
        assert d.partition == partition_for(d.key, PARTITIONS)
        by_key.setdefault(d.key, []).append(json.loads(d.data)["i"])
        partitions.setdefault(d.key, set()).add(d.partition)
    assert len(by_key) == 50
    for key, seen in by_key.items():
        assert seen == sorted(seen), key
        assert len(partitions[key]) == 1
    assert len({p for ps in partitions.values() for p in ps}) > 1


async def test_read_many_reads_every_owned_partition_in_order(harness: Harness) -> None:
    t = harness.transport
    await t.ensure_group("g")
    owned = await t.claim_partitions("g", "c1")
    reader = asyncio.create_task(t.read_many("g", "c1", owned, count=100, block_ms=3000))
    await asyncio.sleep(0.1)  # blocks while every partition is empty
    messages = [msg(i, key=f"user{i % 20}") for i in range(300)]
    await t.send(messages)
    got = await asyncio.wait_for(reader, 5)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while len(got) < 300 and loop.time() < deadline:
        got += await t.read_many("g", "c1", owned, count=100, block_ms=100)
    assert sorted(d.event_id for d in got) == sorted(m.event_id for m in messages)
    assert len({d.partition for d in got}) > 1
    by_key: dict[str, list[int]] = {}
    for d in got:
        by_key.setdefault(d.key or "", []).append(json.loads(d.data)["i"])
    assert all(seen == sorted(seen) for seen in by_key.values())
    acks: dict[int, list[str]] = {}
    for d in got:
        acks.setdefault(d.partition, []).append(d.message_id)
    await t.ack_many("g", acks)
    await t.release("g", "c1")  # a new owner finds nothing pending
    owned = await t.claim_partitions("g", "c2")
    assert await t.read_many("g", "c2", owned, count=100, block_ms=50) == []


async def test_group_created_after_sends_sees_retained_messages(harness: Harness) -> None:
    t = harness.transport
    await t.send([msg(i, key=f"k{i}") for i in range(10)])
    await t.ensure_group("late")
    got = await drain(t, "late", "c1", 10)
    assert sorted(d.event_id for d in got) == sorted(f"e{i}" for i in range(10))


async def test_each_group_gets_every_message(harness: Harness) -> None:
    t = harness.transport
    await t.ensure_group("a")
    await t.ensure_group("b")
    await t.ensure_group("a")  # idempotent
    await t.send([msg(i, key=f"k{i % 7}") for i in range(40)])
    for group in ("a", "b"):
        got = await drain(t, group, "c1", 40)
        assert len(got) == 40
        assert {d.event_id for d in got} == {f"e{i}" for i in range(40)}


async def test_unacked_messages_are_redelivered_to_the_next_owner(harness: Harness) -> None:
    t = harness.transport
    await t.ensure_group("g")
    p = partition_for("u1", PARTITIONS)
    await t.send([msg(i) for i in range(5)])
    assert p in await t.claim_partitions("g", "c1")
    first = await t.read("g", "c1", p, count=3, block_ms=500)
    assert [d.event_id for d in first] == ["e0", "e1", "e2"]
    await t.ack("g", p, [first[0].message_id])
    await t.release("g", "c1")
    assert await t.read("g", "c1", p, count=10, block_ms=10) == []  # no longer the owner
    assert p in await t.claim_partitions("g", "c2")
    again = await t.read("g", "c2", p, count=10, block_ms=500)
    assert [d.event_id for d in again] == ["e1", "e2"]
    assert all(d.delivery_count >= 2 for d in again)
    await t.ack("g", p, [d.message_id for d in again])
    rest = await t.read("g", "c2", p, count=10, block_ms=500)
    assert [(d.event_id, d.delivery_count) for d in rest] == [("e3", 1), ("e4", 1)]


async def _claim_rounds(t: Transport, group: str, consumers: list[str],
                        rounds: int = 4) -> dict[str, set[int]]:
    owned: dict[str, set[int]] = {}
    for _ in range(rounds):
        for consumer in consumers:
            owned[consumer] = await t.claim_partitions(group, consumer)
    return owned


async def test_two_consumers_split_partitions(harness: Harness) -> None:
    t = harness.transport
    await t.ensure_group("g")
    assert await t.claim_partitions("g", "c1") == set(range(PARTITIONS))
    owned = await _claim_rounds(t, "g", ["c1", "c2"])
    assert owned["c1"].isdisjoint(owned["c2"])
    assert owned["c1"] | owned["c2"] == set(range(PARTITIONS))
    assert len(owned["c1"]) == len(owned["c2"]) == PARTITIONS // 2
    await t.release("g", "c1")
    assert await t.claim_partitions("g", "c2") == set(range(PARTITIONS))


async def test_released_partition_messages_go_to_the_other_consumer(harness: Harness) -> None:
    t = harness.transport
    await t.ensure_group("g")
    owned = await _claim_rounds(t, "g", ["c1", "c2"])
    key = next(f"k{i}" for i in range(1000)
               if partition_for(f"k{i}", PARTITIONS) in owned["c1"])
    p = partition_for(key, PARTITIONS)
    await t.send([msg(1, key=key)])
    [d] = await t.read("g", "c1", p, count=10, block_ms=500)
    await t.release("g", "c1")
    assert p in await t.claim_partitions("g", "c2")
    [again] = await t.read("g", "c2", p, count=10, block_ms=500)
    assert (again.event_id, again.message_id) == (d.event_id, d.message_id)
    assert again.delivery_count >= 2


async def test_dead_letter_is_recorded(harness: Harness) -> None:
    t = harness.transport
    letter = DeadLetter(event_id="e9", event_type="user_activity", group="g",
                        data='{"i": 9}', error="ValueError: boom", attempts=5)
    await t.dead_letter(letter)
    [recorded] = await harness.dead_letters()
    assert (recorded["event_id"], recorded["group"], recorded["error"]) == (
        "e9", "g", "ValueError: boom")


async def test_health_is_ok(harness: Harness) -> None:
    health = await harness.transport.health()
    assert health.ok, health.detail


async def test_memory_settled_callback_waits_for_every_group() -> None:
    t = MemoryTransport(partitions=4)
    settled: list[str] = []
    failures = [1]

    async def on_settled(event_ids: list[str]) -> None:
        if failures:
            failures.pop()
            raise RuntimeError("outbox busy")  # must be retried, not lost
        settled.extend(event_ids)

    t.set_settled_callback(on_settled)
    await t.start()
    await t.ensure_group("a")
    await t.ensure_group("b")
    await t.send([msg(i, key=f"k{i}") for i in range(5)])
    await drain(t, "a", "c1", 5)
    await asyncio.sleep(0.1)
    assert settled == []
    await t.ensure_group("late")  # created after the sends: not waited for
    await drain(t, "b", "c1", 5)
    for _ in range(100):
        if len(settled) == 5:
            break
        await asyncio.sleep(0.02)
    assert sorted(settled) == [f"e{i}" for i in range(5)]
    assert len(await drain(t, "late", "c1", 5)) == 5  # still retained for the late group
    await t.close()
    assert sorted(settled) == [f"e{i}" for i in range(5)]
