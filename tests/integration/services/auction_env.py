"""Auction tests: the wallet, hold and auction services over an `Env` (real stores), and
the checks every auction test ends with (the ledger adds up, holds match the leaders)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from tests.integration.services.ledger_env import Env
from yabot.domain.clock import utcnow
from yabot.services.container import besitos_service
from yabot.services.economy.auctions import AuctionService
from yabot.services.wallet.holds import HoldService
from yabot.services.wallet.service import BesitosService
from yabot.storage.sql.repositories.auctions import AuctionRepository
from yabot.storage.sql.repositories.ledger_holds import HoldRepository
from yabot.storage.sql.tables import besitos_ledger, event_log, wallets
from yabot.storage.sql.tables_auctions import auctions
from yabot.storage.sql.tables_economy import inventory


@dataclass(kw_only=True)
class AuctionStack:
    env: Env
    besitos: BesitosService
    holds: HoldService
    auctions: AuctionService

    async def wallet(self, user_id: str) -> tuple[int, int]:
        return await self.holds.totals(user_id)

    async def quantity(self, user_id: str, item_id: str) -> int:
        return await self.env.scalar(sa.select(inventory.c.quantity).where(
            inventory.c.user_id == user_id, inventory.c.item_id == item_id))

    async def events(self, event_type: str) -> list[dict[str, object]]:
        async with self.env.stores.sql.read() as conn:
            rows = (await conn.execute(sa.select(event_log.c.event_data)
                                       .where(event_log.c.event_type == event_type))).scalars()
            return [json.loads(r) for r in rows]

    async def end_now(self, auction_id: str) -> None:
        """Move the auction's end into the past (what waiting would do)."""
        async with self.env.stores.sql.write() as conn:
            await conn.execute(auctions.update().where(auctions.c.auction_id == auction_id)
                               .values(ends_at=utcnow() - timedelta(seconds=1)))

    async def check_ledger_of(self, users: list[str]) -> dict[str, tuple[int, int]]:
        """`check_ledger` for some users only: their {user: (balance, held)}."""
        async with self.env.stores.sql.read() as conn:
            found = {u: (int(b), int(h)) for u, b, h in (await conn.execute(
                sa.select(wallets.c.user_id, wallets.c.balance, wallets.c.held)
                .where(wallets.c.user_id.in_(users)))).all()}
            sums = {u: (int(a), int(h)) for u, a, h in (await conn.execute(
                sa.select(besitos_ledger.c.user_id, sa.func.sum(besitos_ledger.c.amount),
                          sa.func.sum(besitos_ledger.c.held_delta))
                .where(besitos_ledger.c.user_id.in_(users))
                .group_by(besitos_ledger.c.user_id))).all()}
        assert {u: v for u, v in found.items() if v != (0, 0) or u in sums} == sums
        assert all(b >= 0 and h >= 0 for b, h in found.values())
        return found

    async def check_ledger(self, total: int) -> dict[str, tuple[int, int]]:
        """Per user: the ledger's sums equal the wallet's (balance, held), none negative;
        all wallets together own `total`. Returns {user: (balance, held)}."""
        async with self.env.stores.sql.read() as conn:
            rows = (await conn.execute(sa.select(wallets.c.user_id, wallets.c.balance,
                                                 wallets.c.held))).all()
            sums = {u: (int(a), int(h)) for u, a, h in (await conn.execute(
                sa.select(besitos_ledger.c.user_id, sa.func.sum(besitos_ledger.c.amount),
                          sa.func.sum(besitos_ledger.c.held_delta))
                .group_by(besitos_ledger.c.user_id))).all()}
        found = {u: (int(b), int(h)) for u, b, h in rows}
        assert found == sums
        assert all(b >= 0 and h >= 0 for b, h in found.values())
        assert sum(b + h for b, h in found.values()) == total
        return found


def auction_stack(env: Env) -> AuctionStack:
    besitos = besitos_service(env.stores, env.bus)
    holds = HoldService(store=HoldRepository(env.stores.sql), besitos=besitos)
    return AuctionStack(env=env, besitos=besitos, holds=holds, auctions=AuctionService(
        store=AuctionRepository(env.stores.sql), holds=holds,
        items=env.stores.documents.items, bus=env.bus))
