"""Ledger/narrative/coordinator tests: real stores (SQLite default, or PostgreSQL with
embedded documents) and a real bus; fixtures `make_env`, `env`, `besitos`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from yabot.domain.models import UserDocument
from yabot.events.bus import BusConfig, EventBus
from yabot.events.processor import ConsumerConfig
from yabot.events.relay import RelayConfig
from yabot.events.transports.base import Transport
from yabot.events.transports.memory import MemoryTransport
from yabot.services.container import besitos_service, narrative_service
from yabot.services.wallet.service import BesitosService
from yabot.storage.documents.embedded import EmbeddedDocumentStore
from yabot.storage.manager import DatabaseManager
from yabot.storage.sql.database import Database, PoolConfig
from yabot.storage.sql.tables import user_profiles

FAST = BusConfig(
    consumer=ConsumerConfig(block_ms=50, claim_interval=0.05, retry_base=0.005,
                            retry_max=0.02, max_deliveries=3, drain_timeout=5),
    relay=RelayConfig(poll_interval=0.05))


@dataclass(kw_only=True)
class Env:
    stores: DatabaseManager
    bus: EventBus

    async def add_user(self, user_id: str) -> None:
        """A registered user: profile row and user document (what UserService writes)."""
        async with self.stores.sql.write() as conn:
            await conn.execute(user_profiles.insert().values(
                user_id=user_id, telegram_user_id=int(user_id), first_name="Ana"))
        await self.stores.documents.users.create(UserDocument(user_id=user_id))

    async def scalar(self, query: sa.Select[tuple[int]] | sa.TextClause) -> int:
        async with self.stores.sql.read() as conn:
            return int((await conn.execute(query)).scalar() or 0)


EnvFactory = Callable[..., Awaitable[Env]]


async def build_env(sql_url: str, doc_path: Path, transport: Transport | None = None) -> Env:
    db = Database(sql_url, pool=PoolConfig(timeout=120))
    extra: list[Database] = []
    if db.is_sqlite:
        docs = EmbeddedDocumentStore(db)
    else:
        doc_db = Database(f"sqlite+aiosqlite:///{doc_path}")
        docs, extra = EmbeddedDocumentStore(doc_db), [doc_db]
    stores = DatabaseManager(db, docs, extra=extra)
    await stores.connect_all()
    await stores.migrate()
    bus = EventBus(db, transport or MemoryTransport(partitions=4), FAST)
    await narrative_service(stores, bus).seed_default_content()
    return Env(stores=stores, bus=bus)


@pytest.fixture
async def make_env(tmp_path: Path) -> AsyncIterator[EnvFactory]:
    envs: list[Env] = []

    async def make(url: str | None = None, transport: Transport | None = None) -> Env:
        env = await build_env(url or f"sqlite+aiosqlite:///{tmp_path / f'y{len(envs)}.db'}",
                              tmp_path / f"docs{len(envs)}.db", transport)
        envs.append(env)
        return env

    yield make
    for env in envs:
        if env.bus._started:
            await env.bus.stop()
        await env.stores.disconnect_all()


@pytest.fixture
async def env(make_env: EnvFactory) -> Env:
    return await make_env()


@pytest.fixture
def besitos(env: Env) -> BesitosService:
    return besitos_service(env.stores, env.bus)
