"""The economy over real stores with the demo pack: SQLite, or PostgreSQL (+ embedded
documents); fixture `econ` is parametrized over both."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from tests.integration.services.ledger_env import Env, EnvFactory
from yabot.events.handler_context import HandlerContext
from yabot.services.container import besitos_service, economy_service
from yabot.services.economy.service import EconomyService
from yabot.services.wallet.service import BesitosService
from yabot.settings import EconomySettings
from yabot.storage.sql.tables import besitos_ledger, event_log, wallets


@dataclass(kw_only=True)
class Econ:
    env: Env
    besitos: BesitosService
    economy: EconomyService

    async def count(self, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
        return await self.env.scalar(sa.select(sa.func.count()).select_from(table)
                                     .where(*where))

    async def events(self, event_type: str, user_id: str) -> int:
        return await self.count(event_log, event_log.c.event_type == event_type,
                                event_log.c.user_id == user_id)

    async def balanced(self, user_id: str) -> int:
        """The wallet's balance, after checking it equals the sum of its ledger entries."""
        balance = await self.env.scalar(sa.select(wallets.c.balance)
                                        .where(wallets.c.user_id == user_id))
        total = await self.env.scalar(sa.select(sa.func.coalesce(
            sa.func.sum(besitos_ledger.c.amount), 0)).where(besitos_ledger.c.user_id == user_id))
        assert balance == total >= 0
        return balance

    async def handle_alone(self, event: object) -> None:
        """Run the economy's handler on `event` in a transaction of its own, as a
        redelivery whose processed mark was lost would."""
        async with self.env.bus.transaction() as tx:
            ctx = HandlerContext(conn=tx.conn, group="economy")
            await self.economy.handle(event, ctx)  # type: ignore[arg-type]


def build_econ(env: Env, **settings: int) -> Econ:
    besitos = besitos_service(env.stores, env.bus)
    economy = economy_service(env.stores, env.bus, besitos,
                              EconomySettings(**settings))  # type: ignore[arg-type]
    return Econ(env=env, besitos=besitos, economy=economy)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def econ(request: pytest.FixtureRequest, make_env: EnvFactory) -> Econ:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    return build_econ(await make_env(url), missions_per_day=5)
