"""One `dead_letters` row per (group, event), even when the XACK after it is lost.

The consumer that dead-lettered the poison event never acknowledges it (its XACK lost, as
when the process dies right after the commit), so the next owner of the partition takes the
message over and delivers it again. The processed mark written with the dead letter makes
that delivery a no-op: the handler does not run again, no second row appears, and a replay
still reaches the failed group exactly once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from yabot.domain.events import BaseEvent, ReactionDetected, ReactionDetectedPayload
from yabot.events.bus import BusConfig, EventBus
from yabot.events.dead_letter_queue import list_dead_letters, replay_dead_letters
from yabot.events.handler_context import HandlerContext
from yabot.events.processor import ConsumerConfig
from yabot.events.relay import RelayConfig
from yabot.events.transports.base import Delivery, Transport
from yabot.events.transports.memory import MemoryTransport
from yabot.events.transports.redis_streams import RedisStreamsConfig, RedisStreamsTransport
from yabot.settings import RedisSettings
from yabot.storage.sql.database import Database
from yabot.storage.sql.migrate import migrate

CONFIG = BusConfig(
    consumer=ConsumerConfig(block_ms=50, claim_interval=0.05, retry_base=0.005, retry_max=0.02,
                            max_deliveries=3, drain_timeout=5),
    relay=RelayConfig(poll_interval=0.05))


class LosingAcks:
    """Drops the XACK of messages carrying `event_id` (the transport never gets it)."""

    def __init__(self, transport: Transport, event_id: str) -> None:
        self.inner, self.event_id = transport, event_id
        self.doomed: set[str] = set()
        self.redelivered = 0

    async def read_many(self, group: str, consumer: str, partitions: set[int], *,
                        count: int, block_ms: int) -> list[Delivery]:
        batch = await self._read(group, consumer, partitions, count=count, block_ms=block_ms)
        for d in batch:
            if d.event_id == self.event_id:
                self.redelivered += d.delivery_count > 1
                self.doomed.add(d.message_id)
        return batch

    async def ack_many(self, group: str, acks: dict[int, list[str]]) -> None:
        await self._ack(group, {p: [m for m in ids if m not in self.doomed or self.redelivered]
                                for p, ids in acks.items()})

    def install(self) -> None:
        self._read, self._ack = self.inner.read_many, self.inner.ack_many
        self.inner.read_many = self.read_many  # type: ignore[method-assign]
        self.inner.ack_many = self.ack_many  # type: ignore[method-assign]


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def transport(request: pytest.FixtureRequest) -> AsyncIterator[Transport]:
    if request.param == "memory":
        yield MemoryTransport(partitions=4, lease_ttl_ms=300)
        return
    from yabot.events.transports.redis_streams import create_redis_transport

    url = request.getfixturevalue("redis_url")
    made = create_redis_transport(RedisSettings(url=SecretStr(url)),
                                  RedisStreamsConfig(partitions=4, lease_ttl_ms=300))
    assert isinstance(made, RedisStreamsTransport)
    yield made


async def wait_for(check: object, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_lost_ack_after_dead_letter_leaves_one_row_and_no_second_run(
        transport: Transport, tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'dl.db'}")
    await migrate(db)
    poison = ReactionDetected(user_id="u1", payload=ReactionDetectedPayload(
        content_id="poison", reaction_type="like"))
    calls: list[str] = []
    accept = False

    async def picky(event: BaseEvent, ctx: HandlerContext) -> None:
        calls.append(event.event_id)
        if event.event_id == poison.event_id and not accept:
            raise ValueError("poison")

    losing = LosingAcks(transport, poison.event_id)
    losing.install()

    async def new_bus() -> EventBus:
        bus = EventBus(db, transport, CONFIG)
        bus.add_subscriber("reaction_detected", picky, group="g")
        await bus.start()
        return bus

    first = await new_bus()
    await first.publish(poison)
    await wait_for(lambda: _letters(db, 1))
    await first.stop()  # leaves the poison pending: its XACK never arrived
    assert calls.count(poison.event_id) == 3

    second = await new_bus()  # takes the partition over and gets the poison again
    try:
        await wait_for(lambda: _redelivered(losing))
        after = ReactionDetected(user_id="u1", payload=ReactionDetectedPayload(
            content_id="after", reaction_type="like"))
        await second.publish(after)
        await wait_for(lambda: _called(calls, after.event_id))
        assert calls.count(poison.event_id) == 3  # the redelivery did not run the handler
        assert len(await list_dead_letters(db, include_replayed=True)) == 1

        accept = True
        (letter,) = await list_dead_letters(db)
        assert await replay_dead_letters(db, None) == [letter.id]
        second.notify()
        await wait_for(lambda: _called(calls, poison.event_id, times=4))
        await asyncio.sleep(0.3)
        assert calls.count(poison.event_id) == 4  # the replay ran it once more, only once
        assert len(await list_dead_letters(db, include_replayed=True)) == 1
    finally:
        await second.stop()
        await db.dispose()


async def _letters(db: Database, n: int) -> bool:
    return len(await list_dead_letters(db, include_replayed=True)) >= n


async def _redelivered(losing: LosingAcks) -> bool:
    return losing.redelivered > 0


async def _called(calls: list[str], event_id: str, times: int = 1) -> bool:
    return calls.count(event_id) >= times
