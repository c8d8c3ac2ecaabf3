"""FSM storage: aiogram's RedisStorage when Redis is configured (state survives restarts
and is shared by every process), memory otherwise. If Redis fails, the bot keeps going
on memory for that call (graceful degradation) and uses Redis again when it answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.fsm.storage.redis import RedisStorage
from redis.exceptions import RedisError

from yabot.logs import get_logger
from yabot.settings import RedisSettings

log = get_logger(__name__)


class FallbackStorage(BaseStorage):
    """`primary`, or `fallback` while the primary raises RedisError."""

    def __init__(self, primary: BaseStorage, fallback: BaseStorage | None = None) -> None:
        self.primary, self.fallback = primary, fallback or MemoryStorage()
        self.degraded = False

    async def _call(self, name: str, *args: Any) -> Any:
        try:
            result = await getattr(self.primary, name)(*args)
        except (RedisError, OSError) as exc:
            if not self.degraded:
                log.error("FSM storage unavailable; using memory", error=type(exc).__name__)
            self.degraded = True
            return await getattr(self.fallback, name)(*args)
        if self.degraded:
            log.info("FSM storage back")
            self.degraded = False
        return result

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._call("set_state", key, state)

    async def get_state(self, key: StorageKey) -> str | None:
        value = await self._call("get_state", key)
        return value.state if isinstance(value, State) else value

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._call("set_data", key, data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return dict(await self._call("get_data", key))

    async def close(self) -> None:
        await self.primary.close()
        await self.fallback.close()


def create_storage(redis: RedisSettings) -> BaseStorage:
    """RedisStorage (behind the memory fallback) when REDIS_* is configured."""
    if redis.url is None and not redis.sentinels:
        return MemoryStorage()
    from yabot.redis_clients import build_client

    client = build_client(redis, socket_timeout=2.0, connect_timeout=2.0, retries=1)
    storage = RedisStorage(client,  # type: ignore[arg-type]  # a cluster client works too
                           key_builder=DefaultKeyBuilder(prefix="yabot:fsm"))
    return FallbackStorage(storage)
