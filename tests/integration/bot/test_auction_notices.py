"""Auction notices on the durable send queue: the outbid bidder, the winner and the loser
each get one queued message, in Spanish, and a redelivered event queues nothing more."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from tests.integration.api.conftest import make_settings
from yabot.bot.auction_notices import GROUP, AuctionNotifier
from yabot.core import start_core, stop_core
from yabot.domain.events import parse_event
from yabot.domain.views import TelegramUser
from yabot.events.handler_context import HandlerContext
from yabot.settings import StorageSettings
from yabot.storage.sql.tables import event_log
from yabot.storage.sql.tables_messaging import outgoing_messages


async def _queued(db: object, chat_id: int) -> list[str]:
    async with db.read() as conn:  # type: ignore[attr-defined]
        rows = (await conn.execute(sa.select(outgoing_messages.c.params)
                                   .where(outgoing_messages.c.chat_id == chat_id)
                                   .order_by(outgoing_messages.c.id))).scalars()
        return [json.loads(p)["text"] for p in rows]


async def test_outbid_won_and_lost_are_queued_once(tmp_path: Path) -> None:
    core = await start_core(make_settings(StorageSettings(
        sqlite_database_path=tmp_path / "yabot.db")))
    notifier = AuctionNotifier(core.domain)
    notifier.register(core.bus)
    await core.bus.start()
    try:
        domain = core.domain
        for uid in (7501, 7502):
            await domain.users.create_user(TelegramUser(id=uid, first_name="Ana"))
            await domain.besitos.award(str(uid), 40, "admin:seed", f"seed-{uid}")
        auction = await domain.auctions.open("besito_001", 5,
                                             datetime.now(UTC) + timedelta(hours=1))
        await domain.auctions.bid(auction.auction_id, "7501", 10, "a")
        await domain.auctions.bid(auction.auction_id, "7502", 12, "b")
        await domain.auctions.close(auction.auction_id)
        for _ in range(100):
            if len(await _queued(core.stores.sql, 7501)) == 2:
                break
            await asyncio.sleep(0.05)
        ana, bea = await _queued(core.stores.sql, 7501), await _queued(core.stores.sql, 7502)
        assert len(ana) == 2 and "Te superaron" in ana[0] and "terminó" in ana[1]
        assert len(bea) == 1 and "¡Ganaste la subasta de <b>Besito Virtual</b>" in bea[0]

        # a redelivery of the "won" event queues nothing new (same dedupe key)
        async with core.stores.sql.read() as conn:
            data = (await conn.execute(sa.select(event_log.c.event_data).where(
                event_log.c.event_type == "auction_won"))).scalar_one()
        async with core.bus.transaction() as tx:
            await notifier._on_event(parse_event(data), HandlerContext(conn=tx.conn,
                                                                       group=GROUP))
        assert len(await _queued(core.stores.sql, 7502)) == 1
    finally:
        await stop_core(core, bus_started=True)
