"""Ledger properties across awards and purchases (hypothesis), on a real SQLite store:
every wallet equals the sum of its entries and never goes below zero, purchases spend
exactly price × quantity once per key, and inventories match a model."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.services.economy_env import Econ, build_econ
from tests.integration.services.ledger_env import build_env
from yabot.domain.errors import ConflictError, InsufficientFundsError
from yabot.storage.sql.tables import besitos_ledger, wallets

PRICES = {"lantern_001": 5, "compass_001": 12, "key_001": 25}
Op = tuple[str, int, str, int, int]  # kind, user, item, amount or quantity, key number
OPS = st.lists(st.one_of(
    st.tuples(st.just("award"), st.integers(0, 2), st.just(""), st.integers(1, 30),
              st.integers(0, 8)),
    st.tuples(st.just("buy"), st.integers(0, 2), st.sampled_from(sorted(PRICES)),
              st.integers(1, 3), st.integers(0, 8))), max_size=40)
_examples = itertools.count(1)


@pytest.fixture(scope="module")
def econ_loop(tmp_path_factory: pytest.TempPathFactory,
              ) -> Iterator[tuple[asyncio.AbstractEventLoop, Econ]]:
    loop = asyncio.new_event_loop()
    path: Path = tmp_path_factory.mktemp("economy")
    env = loop.run_until_complete(build_env(f"sqlite+aiosqlite:///{path / 'e.db'}",
                                            path / "d.db"))
    yield loop, build_econ(env)
    loop.run_until_complete(env.stores.disconnect_all())
    loop.close()


async def _apply(econ: Econ, users: list[str], op: Op, ns: str, balances: dict[str, int],
                 items: dict[tuple[str, str], int], seen: dict[str, Op]) -> None:
    kind, u, item, n, k = op
    user = users[u]
    key = f"{ns}:{kind}:{k}" if kind == "award" else f"{ns}:{k}"
    record = key if kind == "award" else f"{user}:{key}"
    if record in seen:
        if seen[record][:4] != op[:4]:
            with pytest.raises(ConflictError):
                await _call(econ, kind, user, item, n, key)
            return
        assert not await _call(econ, kind, user, item, n, key)  # a replay changes nothing
        return
    cost = 0 if kind == "award" else PRICES[item] * n
    if balances[user] < cost:
        with pytest.raises(InsufficientFundsError):
            await _call(econ, kind, user, item, n, key)
        return
    assert await _call(econ, kind, user, item, n, key)
    balances[user] += n if kind == "award" else -cost
    if kind == "buy":
        items[(user, item)] = items.get((user, item), 0) + n
    seen[record] = op


async def _call(econ: Econ, kind: str, user: str, item: str, n: int, key: str) -> bool:
    if kind == "award":
        return (await econ.besitos.award(user, n, "reaction", key)).applied
    return (await econ.economy.shop.purchase(user, item, key, quantity=n)).applied


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_ledger_stays_balanced_across_awards_and_purchases(
        econ_loop: tuple[asyncio.AbstractEventLoop, Econ], ops: list[Op]) -> None:
    loop, econ = econ_loop
    n = next(_examples)
    users = [str(n * 10 + i) for i in range(3)]

    async def scenario() -> None:
        for user in users:
            await econ.env.add_user(user)
        balances = dict.fromkeys(users, 0)
        items: dict[tuple[str, str], int] = {}
        seen: dict[str, Op] = {}
        for op in ops:
            await _apply(econ, users, op, f"ex{n}", balances, items, seen)
        for user in users:
            assert await econ.balanced(user) == balances[user]
            held = {(user, i.item_id): i.quantity
                    for i in await econ.economy.shop.inventory(user)}
            assert held == {k: v for k, v in items.items() if k[0] == user}
        async with econ.env.stores.sql.read() as conn:
            spent = (await conn.execute(sa.select(sa.func.coalesce(
                sa.func.sum(besitos_ledger.c.amount), 0))
                .where(besitos_ledger.c.user_id.in_(users),
                       besitos_ledger.c.reason.like("purchase:%")))).scalar()
            total = (await conn.execute(sa.select(sa.func.coalesce(
                sa.func.sum(wallets.c.balance), 0)).where(wallets.c.user_id.in_(users)))).scalar()
        assert -int(spent or 0) == sum(PRICES[i] * q for (_, i), q in items.items())
        awarded = sum(op[3] for op in seen.values() if op[0] == "award")
        assert int(total or 0) == awarded + int(spent or 0)  # nothing created or lost

    loop.run_until_complete(scenario())
