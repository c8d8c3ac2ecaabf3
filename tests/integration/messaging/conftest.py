"""A migrated relational store (SQLite file, or PostgreSQL when reachable) for the queue tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from yabot.settings import StorageSettings
from yabot.storage.manager import DatabaseManager
from yabot.storage.sql.database import Database


@pytest.fixture(params=["sqlite", "postgres"])
async def queue_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    settings = StorageSettings(sqlite_database_path=tmp_path / "q.db")
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        settings = StorageSettings(sqlite_database_path=tmp_path / "q.db",
                                   database_url=SecretStr(url))
    stores = DatabaseManager.from_settings(settings)
    await stores.connect_all()
    await stores.migrate()
    try:
        yield stores.sql
    finally:
        await stores.disconnect_all()
