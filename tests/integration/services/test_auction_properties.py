"""Ledger properties across awards, purchases, bids, releases and wins (hypothesis), on a
real SQLite store, checked against a model: every wallet's `balance` and `held` equal the
sums of its entries' `amount` and `held_delta`, none negative; the leader of each open
auction holds exactly its highest bid; nothing is created or lost."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.services.auction_env import AuctionStack, auction_stack
from tests.integration.services.economy_env import Econ, build_econ
from tests.integration.services.ledger_env import build_env
from yabot.domain.auctions import BidRejectedError
from yabot.domain.clock import utcnow
from yabot.domain.errors import ConflictError, InsufficientFundsError

LOTS = ("compass_001", "besito_001")  # what the two auctions sell
PRICES = {"lantern_001": 5, "compass_001": 12}
MIN_BID = 3
Op = tuple[str, int, int, int, int]  # kind, user, auction or item, amount, key number
OPS = st.lists(st.one_of(
    st.tuples(st.just("award"), st.integers(0, 2), st.just(0), st.integers(1, 30),
              st.integers(0, 6)),
    st.tuples(st.just("buy"), st.integers(0, 2), st.integers(0, 1), st.just(1),
              st.integers(0, 6)),
    st.tuples(st.just("bid"), st.integers(0, 2), st.integers(0, 1), st.integers(1, 40),
              st.integers(0, 6)),
    st.tuples(st.just("close"), st.just(0), st.integers(0, 1), st.just(0), st.just(0))),
    max_size=40)
_examples = itertools.count(1)


class Model:
    def __init__(self, users: list[str]) -> None:
        self.balance = dict.fromkeys(users, 0)
        self.held = dict.fromkeys(users, 0)
        self.items: dict[tuple[str, str], int] = {}
        self.leader: list[str | None] = [None, None]
        self.highest = [0, 0]
        self.open = [True, True]
        self.seen: dict[tuple[object, ...], int] = {}
        self.awarded = self.spent = 0

    def bid_outcome(self, a: int, user: str, amount: int) -> str:
        if not self.open[a]:
            return "auction_closed"
        if amount < (self.highest[a] + 1 if self.leader[a] else MIN_BID):
            return "bid_too_low"
        need = amount - self.highest[a] if self.leader[a] == user else amount
        return "insufficient_funds" if self.balance[user] < need else "ok"

    def bid(self, a: int, user: str, amount: int) -> None:
        leader, led = self.leader[a], self.highest[a]
        need = amount - led if leader == user else amount
        self.balance[user] -= need
        self.held[user] += need
        if leader is not None and leader != user:
            self.balance[leader] += led
            self.held[leader] -= led
        self.leader[a], self.highest[a] = user, amount

    def close(self, a: int) -> None:
        self.open[a] = False
        winner = self.leader[a]
        if winner is not None:
            self.held[winner] -= self.highest[a]
            self.spent += self.highest[a]
            self.items[(winner, LOTS[a])] = self.items.get((winner, LOTS[a]), 0) + 1


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory,
          ) -> Iterator[tuple[asyncio.AbstractEventLoop, Econ, AuctionStack]]:
    loop = asyncio.new_event_loop()
    path: Path = tmp_path_factory.mktemp("auction-props")
    env = loop.run_until_complete(build_env(f"sqlite+aiosqlite:///{path / 'a.db'}",
                                            path / "d.db"))
    yield loop, build_econ(env), auction_stack(env)
    loop.run_until_complete(env.stores.disconnect_all())
    loop.close()


async def _apply(econ: Econ, stack: AuctionStack, ids: list[str], users: list[str], op: Op,
                 ns: str, m: Model) -> None:
    kind, u, a, amount, k = op
    user, key = users[u], f"{ns}:{k}"
    if kind == "award":
        record: tuple[object, ...] = ("award", key)
        if record in m.seen:
            if m.seen[record] != amount or m.seen[("award-user", key)] != u:
                with pytest.raises(ConflictError):
                    await stack.besitos.award(user, amount, "reaction", key)
            return
        await stack.besitos.award(user, amount, "reaction", key)
        m.balance[user] += amount
        m.awarded += amount
        m.seen[record], m.seen[("award-user", key)] = amount, u
    elif kind == "buy":
        item = sorted(PRICES)[a]
        record = ("buy", user, key)
        if record in m.seen:
            same = m.seen[record] == a
            if same:
                assert not (await econ.economy.shop.purchase(user, item, key)).applied
            else:
                with pytest.raises(ConflictError):
                    await econ.economy.shop.purchase(user, item, key)
            return
        if m.balance[user] < PRICES[item]:
            with pytest.raises(InsufficientFundsError):
                await econ.economy.shop.purchase(user, item, key)
            return
        assert (await econ.economy.shop.purchase(user, item, key)).applied
        m.balance[user] -= PRICES[item]
        m.spent += PRICES[item]
        m.items[(user, item)] = m.items.get((user, item), 0) + 1
        m.seen[record] = a
    elif kind == "bid":
        record = ("bid", a, user, key)
        if record in m.seen:
            if m.seen[record] == amount:
                assert not (await stack.auctions.bid(ids[a], user, amount, key)).applied
            else:
                with pytest.raises(ConflictError):
                    await stack.auctions.bid(ids[a], user, amount, key)
            return
        outcome = m.bid_outcome(a, user, amount)
        if outcome != "ok":
            with pytest.raises(BidRejectedError) as refused:
                await stack.auctions.bid(ids[a], user, amount, key)
            assert refused.value.code == outcome
            return
        assert (await stack.auctions.bid(ids[a], user, amount, key)).applied
        m.bid(a, user, amount)
        m.seen[record] = amount
    else:
        closed = await stack.auctions.close(ids[a])
        assert (closed is not None) == m.open[a]
        if m.open[a]:
            m.close(a)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_ledger_stays_balanced_across_bids_releases_and_wins(
        world: tuple[asyncio.AbstractEventLoop, Econ, AuctionStack], ops: list[Op]) -> None:
    loop, econ, stack = world
    n = next(_examples)
    users = [str(n * 10 + i) for i in range(3)]

    async def scenario() -> None:
        for user in users:
            await stack.env.add_user(user)
        ids = [(await stack.auctions.open(lot, MIN_BID, utcnow() + timedelta(hours=1))
                ).auction_id for lot in LOTS]
        m = Model(users)
        for op in ops:
            await _apply(econ, stack, ids, users, op, f"ex{n}", m)
        for user in users:
            assert await stack.wallet(user) == (m.balance[user], m.held[user])
            owned = {(user, i.item_id): i.quantity
                     for i in await econ.economy.shop.inventory(user)}
            assert owned == {k: v for k, v in m.items.items() if k[0] == user}
        for a, auction_id in enumerate(ids):
            view = await stack.auctions.get(auction_id)
            assert (view.highest_bidder, view.highest_bid or 0) == (m.leader[a], m.highest[a])
            if m.open[a] and m.leader[a] is not None:
                assert m.held[m.leader[a]] >= m.highest[a]  # type: ignore[index]
        assert sum(m.held.values()) == sum(m.highest[a] for a in (0, 1) if m.open[a])
        wallets = await stack.check_ledger_of(users)
        assert sum(b + h for b, h in wallets.values()) == m.awarded - m.spent

    loop.run_until_complete(scenario())
