"""A migrated SQLite database in the test's temp dir (`db`), for the store-level tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from yabot.storage.sql.database import Database
from yabot.storage.sql.migrate import migrate


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'yabot.db'}")
    await migrate(database)
    try:
        yield database
    finally:
        await database.dispose()
