"""The whole event path (outbox → relay → Redis Streams → consumer group) on HA Redis:
a Sentinel failover while events are being published loses nothing and keeps per-user
order; a three-master Cluster carries every event once. Servers and helpers come from
test_redis_ha.py (private redis-server processes on free ports)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from tests.integration.test_redis_ha import (  # noqa: F401 - redis_nodes is a fixture
    MASTER_NAME,
    PASSWORD,
    Node,
    redis_nodes,
    sentinel_master_port,
    start_cluster,
    start_sentinel_deployment,
)
from yabot.domain.events import BaseEvent, UserActivity, UserActivityPayload
from yabot.events.bus import BusConfig, EventBus
from yabot.events.handler_context import HandlerContext
from yabot.events.processor import ConsumerConfig
from yabot.events.relay import RelayConfig
from yabot.events.transports.redis_streams import RedisStreamsConfig, create_redis_transport
from yabot.settings import RedisSettings
from yabot.storage.sql.database import Database
from yabot.storage.sql.migrate import migrate
from yabot.storage.sql.tables import processed_events

pytestmark = [pytest.mark.redis, pytest.mark.slow]
USERS, PER_USER, GROUP = 10, 60, "ha-bus"
FAST = BusConfig(consumer=ConsumerConfig(block_ms=50, claim_interval=0.2, retry_base=0.01,
                                         retry_max=0.2, max_deliveries=50),
                 relay=RelayConfig(poll_interval=0.05))


def event(user: int, n: int) -> UserActivity:
    return UserActivity(user_id=str(user), payload=UserActivityPayload(
        activity="ha", details={"n": n}))


class Seen:
    """Handled events in arrival order (a redelivery may repeat one; marks dedupe effects)."""

    def __init__(self) -> None:
        self.order: dict[str, list[int]] = {}

    async def handle(self, ev: BaseEvent, _ctx: HandlerContext) -> None:
        assert isinstance(ev, UserActivity) and ev.user_id is not None
        self.order.setdefault(ev.user_id, []).append(int(ev.payload.details["n"]))

    def complete(self) -> bool:
        return all(set(self.order.get(str(u), ())) == set(range(PER_USER))
                   for u in range(USERS))


async def run_bus(tmp_path: Path, settings: RedisSettings,
                  during: Callable[[], None] | None) -> tuple[Seen, int]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}")
    await migrate(db)
    bus = EventBus(db, create_redis_transport(settings, RedisStreamsConfig(partitions=4)), FAST)
    seen = Seen()
    bus.add_subscriber("user_activity", seen.handle, group=GROUP)
    await bus.start()
    try:
        for n in range(PER_USER):  # one user's events in publish order, users interleaved
            await bus.publish(*(event(u, n) for u in range(USERS)))
            if n == PER_USER // 3 and during is not None:
                await asyncio.to_thread(during)  # publishing goes on right after
            await asyncio.sleep(0.01)
        deadline = asyncio.get_running_loop().time() + 60
        while not seen.complete():
            assert asyncio.get_running_loop().time() < deadline, {
                u: len(set(v)) for u, v in seen.order.items()}
            await asyncio.sleep(0.1)
        async with db.read() as conn:
            marks = (await conn.execute(sa.select(sa.func.count()).select_from(processed_events)
                                        .where(processed_events.c.consumer_group == GROUP))
                     ).scalar_one()
    finally:
        await bus.stop()
        await db.dispose()
    return seen, int(marks)


def assert_in_order(seen: Seen) -> None:
    for user, numbers in seen.order.items():
        firsts = list(dict.fromkeys(numbers))  # first arrival of each event
        assert firsts == sorted(firsts), (user, firsts)


async def test_sentinel_failover_while_publishing_loses_nothing(
        tmp_path: Path, redis_nodes: Callable[..., Node]) -> None:  # noqa: F811
    master, replica, sentinel = start_sentinel_deployment(redis_nodes)
    settings = RedisSettings(url=None, password=SecretStr(PASSWORD),
                             sentinels=f"127.0.0.1:{sentinel.port}",
                             sentinel_master=MASTER_NAME, cluster=False)

    seen, marks = await run_bus(tmp_path, settings, during=master.kill)

    assert sentinel_master_port(sentinel) == replica.port  # the failover did happen
    assert marks == USERS * PER_USER  # every event's effect applied exactly once
    assert_in_order(seen)


async def test_three_master_cluster_carries_every_event_once(
        tmp_path: Path, redis_nodes: Callable[..., Node]) -> None:  # noqa: F811
    nodes = start_cluster(redis_nodes, 3, PASSWORD)
    settings = RedisSettings(url=SecretStr(f"redis://127.0.0.1:{nodes[0].port}"),
                             password=SecretStr(PASSWORD), sentinels=None,
                             sentinel_master=None, cluster=True)

    seen, marks = await run_bus(tmp_path, settings, during=None)

    assert marks == USERS * PER_USER
    assert all(len(v) == PER_USER for v in seen.order.values())  # no redelivery either
    assert_in_order(seen)
