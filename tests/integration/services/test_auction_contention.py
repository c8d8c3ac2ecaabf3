"""500 concurrent bids from 100 users (and 50 replays among them) on one auction, on SQLite
and on PostgreSQL: one leader, every other hold released, no besitos created or lost, and
one winner after the close."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.integration.services.auction_env import auction_stack
from tests.integration.services.ledger_env import EnvFactory
from yabot.domain.auctions import BidRejectedError, BidResult
from yabot.domain.clock import utcnow
from yabot.storage.sql.tables_auctions import auction_bids

USERS, BIDS, REPLAYS, FUNDS = 100, 500, 50, 500


async def _contend(make_env: EnvFactory, url: str | None) -> None:
    stack = auction_stack(await make_env(url))
    users = [str(1000 + i) for i in range(USERS)]
    for user in users:
        await stack.env.add_user(user)
        await stack.besitos.award(user, FUNDS, "admin:seed", f"seed-{user}")
    auction = await stack.auctions.open("besito_001", 5, utcnow() + timedelta(hours=1))
    rng = random.Random(15)
    bids = [(users[i % USERS], rng.randint(1, FUNDS), f"k{i}") for i in range(BIDS)]
    sent = bids + rng.sample(bids, REPLAYS)
    rng.shuffle(sent)
    results = await asyncio.gather(*(stack.auctions.bid(auction.auction_id, u, a, k)
                                     for u, a, k in sent), return_exceptions=True)
    unexpected = [r for r in results if not isinstance(r, BidResult | BidRejectedError)]
    assert unexpected == []
    applied = [r for r in results if isinstance(r, BidResult) and r.applied]
    assert 0 < len(applied) <= BIDS
    assert await stack.env.scalar(sa.select(sa.func.count()).select_from(auction_bids)
                                  ) == len(applied)
    leader = await stack.auctions.get(auction.auction_id)
    assert leader.highest_bid == max(a for _, a, _ in bids if a >= 5)
    wallets = await stack.check_ledger(USERS * FUNDS)
    assert {u: h for u, (_, h) in wallets.items() if h} == {
        leader.highest_bidder: leader.highest_bid}

    await stack.end_now(auction.auction_id)
    assert await stack.auctions.close_due() == 1
    closed = await stack.auctions.get(auction.auction_id)
    assert closed.winner_user_id == leader.highest_bidder
    assert leader.highest_bid is not None and closed.winner_user_id is not None
    wallets = await stack.check_ledger(USERS * FUNDS - leader.highest_bid)
    assert all(h == 0 for _, h in wallets.values())
    assert wallets[closed.winner_user_id][0] == FUNDS - leader.highest_bid
    assert await stack.quantity(closed.winner_user_id, "besito_001") == 1
    assert [e["user_id"] for e in await stack.events("auction_won")] == [
        closed.winner_user_id]
    bidders = {r.user_id for r in applied}
    assert len(await stack.events("auction_lost")) == len(bidders) - 1


async def test_contention_sqlite(make_env: EnvFactory) -> None:
    await _contend(make_env, None)


@pytest.mark.postgres
async def test_contention_postgres(make_env: EnvFactory, postgres_url: str) -> None:
    await _contend(make_env, postgres_url)
