"""A service stack over real stores: the embedded default, PostgreSQL + embedded documents
(separate stores), and SQLite + MongoDB on nx-27017 (separate stores)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from yabot.events.bus import BusConfig, EventBus
from yabot.events.processor import ConsumerConfig
from yabot.events.relay import RelayConfig
from yabot.events.transports.memory import MemoryTransport
from yabot.services.container import subscription_service, user_service
from yabot.services.subscriptions.service import SubscriptionService
from yabot.services.users.service import UserService
from yabot.settings import StorageSettings
from yabot.storage.manager import DatabaseManager
from yabot.storage.sql.tables import event_log

FAST = BusConfig(
    consumer=ConsumerConfig(block_ms=50, claim_interval=0.05, retry_base=0.005, retry_max=0.02,
                            max_deliveries=3, drain_timeout=5),
    relay=RelayConfig(poll_interval=0.05))


def storage_settings(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> StorageSettings:
    """Settings for one store combination (fixtures start the servers it needs)."""
    sqlite = tmp_path / "yabot.db"
    if kind == "embedded":
        return StorageSettings(sqlite_database_path=sqlite)
    if kind == "postgres":
        url = request.getfixturevalue("postgres_url")
        return StorageSettings(sqlite_database_path=sqlite, database_url=SecretStr(url))
    uri, name = request.getfixturevalue("mongo_uri_and_db")
    return StorageSettings(sqlite_database_path=sqlite, mongodb_uri=SecretStr(uri),
                           mongodb_database=name)


@dataclass(kw_only=True)
class Stack:
    stores: DatabaseManager
    bus: EventBus
    users: UserService
    subscriptions: SubscriptionService

    async def events(self, event_type: str, user_id: str | None = None) -> list[dict[str, object]]:
        """Published events of a type (from the audit log), oldest first."""
        query = sa.select(event_log.c.event_data).where(event_log.c.event_type == event_type)
        if user_id is not None:
            query = query.where(event_log.c.user_id == user_id)
        async with self.stores.sql.read() as conn:
            rows = (await conn.execute(query.order_by(event_log.c.timestamp))).scalars().all()
        return [json.loads(r) for r in rows]


async def build_stack(settings: StorageSettings) -> Stack:
    stores = DatabaseManager.from_settings(settings)
    await stores.connect_all()
    await stores.migrate()
    bus = EventBus(stores.sql, MemoryTransport(partitions=4), FAST)
    subs = subscription_service(stores, bus)
    return Stack(stores=stores, bus=bus, subscriptions=subs,
                 users=user_service(stores, bus, subs))


STORES = ["embedded", pytest.param("postgres", marks=pytest.mark.postgres),
          pytest.param("mongo", marks=pytest.mark.mongo)]


@pytest.fixture(params=STORES)
async def stack(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Stack]:
    built = await build_stack(storage_settings(request.param, tmp_path, request))
    yield built
    if built.bus._started:
        await built.bus.stop()
    await built.stores.disconnect_all()


from tests.integration.services.economy_env import econ  # noqa: E402, F401
from tests.integration.services.ledger_env import besitos, env, make_env  # noqa: E402, F401
