"""A migrated SQLite database and an (unstarted) event bus for the inbox tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from yabot.events.bus import EventBus
from yabot.events.transports.memory import MemoryTransport
from yabot.settings import StorageSettings
from yabot.storage.manager import DatabaseManager
from yabot.storage.sql.database import Database


@dataclass
class InboxEnv:
    db: Database
    bus: EventBus


@pytest.fixture
async def inbox_env(tmp_path: Path) -> AsyncIterator[InboxEnv]:
    stores = DatabaseManager.from_settings(StorageSettings(sqlite_database_path=tmp_path / "y.db"))
    await stores.connect_all()
    await stores.migrate()
    try:
        yield InboxEnv(db=stores.sql, bus=EventBus(stores.sql, MemoryTransport(partitions=2)))
    finally:
        await stores.disconnect_all()
