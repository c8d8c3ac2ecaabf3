"""create_transport / create_event_bus: pick the transport from settings."""

from __future__ import annotations

from yabot.events.bus import BusConfig, EventBus
from yabot.events.transports.base import Transport
from yabot.events.transports.memory import MemoryTransport
from yabot.settings import RedisSettings
from yabot.storage.sql.database import Database


def create_transport(settings: RedisSettings) -> Transport:
    """Redis Streams when REDIS_URL or Sentinel is configured, else in-process."""
    if settings.url is not None or settings.sentinels:
        from yabot.events.transports.redis_streams import create_redis_transport

        return create_redis_transport(settings)
    return MemoryTransport()


def create_event_bus(db: Database, settings: RedisSettings,
                     config: BusConfig | None = None) -> EventBus:
    return EventBus(db, create_transport(settings), config)
