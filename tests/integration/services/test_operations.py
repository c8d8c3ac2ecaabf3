"""Operators' view over a real stack: store-operation histograms, outbox and dead-letter
gauges, and the matching health components."""

from __future__ import annotations

import asyncio
from pathlib import Path

from prometheus_client import generate_latest
from pydantic import SecretStr

from tests.fixtures.common import metric_sample
from yabot.core import start_core, stop_core
from yabot.domain.events import BaseEvent, UserActivity, UserActivityPayload
from yabot.domain.views import TelegramUser
from yabot.events.handler_context import HandlerContext
from yabot.settings import (
    JwtSettings,
    RedisSettings,
    Settings,
    StorageSettings,
)
from yabot.storage.sql.tables import dead_letters


def _settings(tmp_path: Path) -> Settings:
    return Settings.of(storage=StorageSettings(sqlite_database_path=tmp_path / "yabot.db"),
                       redis=RedisSettings(url=None, sentinels=None),
                       jwt=JwtSettings(algorithm="HS256", secret=SecretStr("s" * 32)))


async def test_metrics_and_health_follow_the_stores(tmp_path: Path) -> None:
    services = await start_core(_settings(tmp_path))  # the bus is not started: events wait
    try:
        users = services.domain.users
        await users.create_user(TelegramUser(id=77, first_name="Eva"))
        await users.get_user_context("77")
        await users.update_user_state("77", {"menu_context": "shop"})
        async with services.stores.sql.write() as conn:
            await conn.execute(dead_letters.insert().values(
                event_id="e-1", event_type="user_activity", consumer_group="g",
                event_data="{}", error="boom", attempts=5))

        await services.metrics.refresh()
        text = generate_latest(services.metrics.registry).decode()
        ready, body = await services.health.check()
    finally:
        await stop_core(services)

    for operation in ("create_user", "get_user_context", "update_user_state"):
        count = f'yabot_db_operation_seconds_count{{operation="{operation}"}}'
        assert metric_sample(text, count) == 1.0, operation
    assert metric_sample(text, "yabot_outbox_backlog") >= 1.0  # user_registered, not relayed yet
    assert metric_sample(text, "yabot_dead_letters") == 1.0
    assert ready, body
    components = body["components"]
    assert components["dead_letters"]["detail"] == {"pending": 1}
    assert components["outbox"]["detail"]["backlog"] >= 1
    assert components["outbox"]["status"] == "up" and "latency_ms" in components["outbox"]


async def test_event_metrics_count_publishes_batches_and_failures(tmp_path: Path) -> None:
    services = await start_core(_settings(tmp_path))
    calls: list[str] = []

    async def flaky(event: BaseEvent, _ctx: HandlerContext) -> None:
        calls.append(event.event_id)
        if len(calls) == 1:
            raise RuntimeError("first attempt fails")

    services.bus.add_subscriber("user_activity", flaky, group="obs")
    await services.bus.start()
    try:
        await services.bus.publish(UserActivity(
            user_id="5", payload=UserActivityPayload(activity="metrics")))
        processed = 'yabot_event_processing_time_seconds_count{group="obs"}'
        deadline = asyncio.get_running_loop().time() + 20
        while True:  # the retry's time is observed after its handler returns
            text = generate_latest(services.metrics.registry).decode()
            if len(calls) >= 2 and metric_sample(text, processed) >= 2.0:
                break
            assert asyncio.get_running_loop().time() < deadline, (calls, text)
            await asyncio.sleep(0.05)
    finally:
        await stop_core(services, bus_started=True)

    assert metric_sample(text, "yabot_event_publish_latency_seconds_count") == 1.0
    assert metric_sample(text, 'yabot_failed_events_total{group="obs"}') == 1.0
    assert metric_sample(text, processed) >= 2.0
