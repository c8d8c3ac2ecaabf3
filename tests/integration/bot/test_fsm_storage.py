"""FSM storage: RedisStorage shares state across instances (restarts, processes); with
Redis down the bot keeps going on memory; memory storage without Redis settings."""

from __future__ import annotations

import pytest
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import MemoryStorage
from pydantic import SecretStr

from tests.fixtures.common import free_port
from yabot.bot.fsm import FallbackStorage, create_storage
from yabot.settings import RedisSettings

KEY = StorageKey(bot_id=1, chat_id=42, user_id=42)


@pytest.mark.redis
async def test_state_survives_a_new_storage_instance(redis_url: str) -> None:
    settings = RedisSettings(url=SecretStr(redis_url))
    first = create_storage(settings)
    await first.set_state(KEY, "story:reading")
    await first.set_data(KEY, {"fragment": "forest_001"})
    await first.close()
    second = create_storage(settings)  # another process, or after a restart
    try:
        assert await second.get_state(KEY) == "story:reading"
        assert await second.get_data(KEY) == {"fragment": "forest_001"}
        assert isinstance(second, FallbackStorage) and not second.degraded
    finally:
        await second.close()


async def test_redis_down_falls_back_to_memory() -> None:
    storage = create_storage(RedisSettings(url=SecretStr(f"redis://127.0.0.1:{free_port()}/0")))
    assert isinstance(storage, FallbackStorage)
    await storage.set_state(KEY, "menu")
    assert await storage.get_state(KEY) == "menu"
    assert storage.degraded
    await storage.close()


def test_memory_without_redis() -> None:
    assert isinstance(create_storage(RedisSettings()), MemoryStorage)
