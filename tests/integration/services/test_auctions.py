"""Auctions with escrow on real stores: holds, releases, raises, replays, the close."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tests.integration.services.auction_env import AuctionStack, auction_stack
from tests.integration.services.ledger_env import Env, EnvFactory
from yabot.domain.auctions import BidRejectedError
from yabot.domain.clock import utcnow
from yabot.domain.errors import ConflictError, NotFoundError
from yabot.services.container import user_service

SOON = timedelta(hours=1)


@pytest.fixture
async def stack(env: Env) -> AuctionStack:
    built = auction_stack(env)
    for user, amount in (("11", 100), ("22", 100), ("33", 5)):
        await env.add_user(user)
        await built.besitos.award(user, amount, "admin:seed", f"seed-{user}")
    return built


async def test_bids_hold_and_release_in_one_commit(stack: AuctionStack) -> None:
    auction = await stack.auctions.open("besito_001", 10, utcnow() + SOON)
    first = await stack.auctions.bid(auction.auction_id, "11", 30, "a1")
    assert first.applied and first.auction.highest_bidder == "11"
    assert await stack.wallet("11") == (70, 30)
    second = await stack.auctions.bid(auction.auction_id, "22", 40, "b1")
    assert second.auction.highest_bid == 40 and second.auction.highest_bidder == "22"
    assert await stack.wallet("11") == (100, 0)  # released with the bid that beat it
    assert await stack.wallet("22") == (60, 40)
    outbid = await stack.events("auction_outbid")
    assert [(e["user_id"], e["payload"]["own_bid"]) for e in outbid] == [("11", 30)]
    await stack.check_ledger(205)


async def test_the_leader_raises_with_their_hold_counting(stack: AuctionStack) -> None:
    auction = await stack.auctions.open("besito_001", 10, utcnow() + SOON)
    await stack.auctions.bid(auction.auction_id, "11", 60, "a1")
    raised = await stack.auctions.bid(auction.auction_id, "11", 100, "a2")  # 40 free + 60 held
    assert raised.applied and raised.auction.highest_bid == 100
    assert await stack.wallet("11") == (0, 100)
    with pytest.raises(BidRejectedError) as low:
        await stack.auctions.bid(auction.auction_id, "22", 100, "b1")
    assert low.value.code == "bid_too_low"
    await stack.check_ledger(205)


async def test_refusals_change_nothing(stack: AuctionStack) -> None:
    auction = await stack.auctions.open("besito_001", 10, utcnow() + SOON)
    aid = auction.auction_id
    with pytest.raises(BidRejectedError) as low:
        await stack.auctions.bid(aid, "11", 9, "a1")
    assert low.value.code == "bid_too_low"
    with pytest.raises(BidRejectedError) as poor:
        await stack.auctions.bid(aid, "33", 10, "c1")
    assert poor.value.code == "insufficient_funds"
    await stack.auctions.bid(aid, "11", 20, "a2")
    replay = await stack.auctions.bid(aid, "11", 20, "a2")
    assert not replay.applied and replay.auction.bids == 1
    with pytest.raises(ConflictError):
        await stack.auctions.bid(aid, "11", 25, "a2")  # same key, other amount
    with pytest.raises(NotFoundError):
        await stack.auctions.bid(aid, "99", 50, "z")
    with pytest.raises(NotFoundError):
        await stack.auctions.bid("nope", "11", 50, "z")
    with pytest.raises(NotFoundError):
        await stack.auctions.open("no_such_item", 10, utcnow() + SOON)
    with pytest.raises(ValueError):
        await stack.auctions.open("besito_001", 10, utcnow() - SOON)
    assert await stack.wallet("11") == (80, 20) and await stack.wallet("33") == (5, 0)
    await stack.check_ledger(205)


async def test_the_close_spends_the_hold_and_gives_the_item_once(stack: AuctionStack) -> None:
    auction = await stack.auctions.open("besito_001", 10, utcnow() + SOON)
    aid = auction.auction_id
    await stack.auctions.bid(aid, "11", 30, "a1")
    await stack.auctions.bid(aid, "22", 45, "b1")
    assert await stack.auctions.close_due() == 0  # not ended yet
    await stack.end_now(aid)
    with pytest.raises(BidRejectedError) as late:
        await stack.auctions.bid(aid, "11", 50, "a2")
    assert late.value.code == "auction_closed"
    assert await stack.auctions.close_due() == 1
    assert await stack.auctions.close_due() == 0 and await stack.auctions.close(aid) is None
    closed = await stack.auctions.get(aid)
    assert closed.status == "closed" and closed.winner_user_id == "22"
    assert await stack.wallet("22") == (55, 0) and await stack.wallet("11") == (100, 0)
    assert await stack.quantity("22", "besito_001") == 1
    won, lost = await stack.events("auction_won"), await stack.events("auction_lost")
    assert [(e["user_id"], e["payload"]["amount"]) for e in won] == [("22", 45)]
    assert [(e["user_id"], e["payload"]["own_bid"]) for e in lost] == [("11", 30)]
    spent = [e for e in await stack.events("besitos_spent") if e["user_id"] == "22"]
    assert [e["payload"]["amount"] for e in spent] == [45]
    assert spent[0]["causation_id"] == won[0]["event_id"]
    await stack.check_ledger(205 - 45)


async def test_an_auction_without_bids_closes_without_a_winner(stack: AuctionStack) -> None:
    auction = await stack.auctions.open("besito_001", 10, utcnow() + SOON)
    await stack.end_now(auction.auction_id)
    assert await stack.auctions.close_due() == 1
    closed = await stack.auctions.get(auction.auction_id)
    assert closed.status == "closed" and closed.winner_user_id is None
    assert await stack.events("auction_won") == []
    assert len(await stack.events("auction_closed")) == 1


async def _two_closers(make_env: EnvFactory, url: str) -> None:
    """Two service stacks on their own engines (as two processes) close one auction."""
    first, second = auction_stack(await make_env(url)), auction_stack(await make_env(url))
    for user in ("11", "22"):
        await first.env.add_user(user)
        await first.besitos.award(user, 100, "admin:seed", f"seed-{user}")
    auction = await first.auctions.open("besito_001", 10, utcnow() + SOON)
    await first.auctions.bid(auction.auction_id, "11", 30, "a1")
    await second.auctions.bid(auction.auction_id, "22", 45, "b1")
    await first.end_now(auction.auction_id)
    closed = await asyncio.gather(*(s.auctions.close_due() for s in (first, second, first)))
    assert sorted(closed) == [0, 0, 1]
    assert len(await first.events("auction_won")) == 1
    assert await first.quantity("22", "besito_001") == 1
    await first.check_ledger(200 - 45)


async def test_one_close_across_processes_sqlite(make_env: EnvFactory, tmp_path: object
                                                 ) -> None:
    await _two_closers(make_env, f"sqlite+aiosqlite:///{tmp_path}/shared.db")


@pytest.mark.postgres
async def test_one_close_across_processes_postgres(make_env: EnvFactory,
                                                   postgres_url: str) -> None:
    await _two_closers(make_env, postgres_url)


async def _delete(stack: AuctionStack, user_id: str) -> None:
    """Delete the user (their wallet and ledger entries go with the profile)."""
    env = stack.env
    users = user_service(env.stores, env.bus)
    await users.delete_user(user_id)


async def test_a_deleted_leader_neither_blocks_bids_nor_wins(stack: AuctionStack) -> None:
    first = await stack.auctions.open("besito_001", 10, utcnow() + SOON)
    await stack.auctions.bid(first.auction_id, "11", 30, "a1")
    await _delete(stack, "11")
    beaten = await stack.auctions.bid(first.auction_id, "22", 31, "b1")  # no hold to release
    assert beaten.applied and await stack.wallet("22") == (69, 31)
    assert await stack.events("auction_outbid") == []
    second = await stack.auctions.open("besito_001", 10, utcnow() + SOON)
    await stack.auctions.bid(second.auction_id, "22", 20, "b2")
    await _delete(stack, "22")
    for auction in (first, second):
        await stack.end_now(auction.auction_id)
    assert await stack.auctions.close_due() == 2
    for auction in (first, second):
        closed = await stack.auctions.get(auction.auction_id)
        assert (closed.status, closed.winner_user_id) == ("closed", None)
    assert await stack.events("auction_won") == [] and await stack.events("auction_lost") == []
    await stack.check_ledger(5)  # only user 33's seed is left
