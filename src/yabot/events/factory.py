"""create_transport / create_event_bus: pick the transport and tuning from settings."""

from __future__ import annotations

from datetime import timedelta

from yabot.events.bus import BusConfig, EventBus
from yabot.events.processor import ConsumerConfig
from yabot.events.relay import RelayConfig
from yabot.events.transports.base import Transport
from yabot.events.transports.memory import MemoryTransport
from yabot.observability.metrics import Metrics
from yabot.settings import EventSettings, RedisSettings
from yabot.storage.sql.database import Database


def create_transport(redis: RedisSettings, events: EventSettings) -> Transport:
    """Redis Streams when REDIS_URL or Sentinel is configured, else in-process."""
    if redis.url is not None or redis.sentinels:
        from yabot.events.transports.redis_streams import (
            RedisStreamsConfig,
            create_redis_transport,
        )

        return create_redis_transport(redis, RedisStreamsConfig(
            partitions=events.partitions, publish_channel=events.publish_channel))
    return MemoryTransport(partitions=events.partitions)


def create_event_bus(db: Database, redis: RedisSettings, events: EventSettings, *,
                     metrics: Metrics | None = None) -> EventBus:
    config = BusConfig(
        relay=RelayConfig(replay_window=timedelta(seconds=events.replay_window_seconds)),
        consumer=ConsumerConfig(max_deliveries=events.max_deliveries,
                                concurrency=events.concurrency),
        event_log_retention=timedelta(days=events.log_retention_days),
        processed_retention=timedelta(days=events.processed_retention_days))
    return EventBus(db, create_transport(redis, events), config, metrics=metrics)
