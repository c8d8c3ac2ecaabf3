"""Ledger properties (hypothesis) and 1,000 concurrent spends, on real stores.

Random award/spend/transfer sequences with repeated idempotency keys, checked against a
model: balances equal the ledger sums, never go negative, transfers keep the total.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.services.ledger_env import Env, EnvFactory, build_env
from yabot.domain.errors import ConflictError, InsufficientFundsError
from yabot.services.container import besitos_service
from yabot.services.wallet.service import BesitosService
from yabot.storage.sql.tables import besitos_ledger, event_log, wallets

Op = tuple[str, int, int, int, int]  # kind, user, other user, amount, key number
OPS = st.lists(st.tuples(st.sampled_from(["award", "spend", "transfer"]),
                         st.integers(0, 2), st.integers(0, 2), st.integers(1, 20),
                         st.integers(0, 12)), max_size=40)
_examples = itertools.count(1)


@pytest.fixture(scope="module")
def ledger_env(tmp_path_factory: pytest.TempPathFactory,
               ) -> Iterator[tuple[asyncio.AbstractEventLoop, Env]]:
    loop = asyncio.new_event_loop()
    path: Path = tmp_path_factory.mktemp("ledger")
    env = loop.run_until_complete(build_env(f"sqlite+aiosqlite:///{path / 'l.db'}",
                                            path / "d.db"))
    yield loop, env
    loop.run_until_complete(env.stores.disconnect_all())
    loop.close()


async def _apply(besitos: BesitosService, users: list[str], op: Op, ns: str,
                 model: dict[str, int], seen: dict[str, tuple[object, ...]]) -> None:
    kind, a, b, amount, k = op
    ua, ub = users[a], users[b]
    key = f"{ns}:k{k}"
    if kind == "transfer":
        if ua == ub:
            with pytest.raises(ValueError):
                await besitos.transfer(ua, ub, amount, "t", key)
            return
        sig: tuple[object, ...] = ("transfer", ua, ub, amount)
        record = f"{key}:out"
    else:
        sig, record = (kind, ua, amount), key
    if record in seen:
        if seen[record] == sig:
            results = await _call(besitos, kind, ua, ub, amount, key)
            assert all(not r.applied for r in results)
        else:
            with pytest.raises(ConflictError):
                await _call(besitos, kind, ua, ub, amount, key)
        return
    delta = {"award": {ua: amount}, "spend": {ua: -amount},
             "transfer": {ua: -amount, ub: amount}}[kind]
    if any(model[u] + d < 0 for u, d in delta.items()):
        with pytest.raises(InsufficientFundsError):
            await _call(besitos, kind, ua, ub, amount, key)
        return
    results = await _call(besitos, kind, ua, ub, amount, key)
    assert all(r.applied for r in results)
    for user, d in delta.items():
        model[user] += d
    seen[record] = sig


async def _call(besitos: BesitosService, kind: str, ua: str, ub: str, amount: int,
                key: str) -> list[object]:
    if kind == "award":
        return [await besitos.award(ua, amount, "a", key)]
    if kind == "spend":
        return [await besitos.spend(ua, amount, "s", key)]
    return list(await besitos.transfer(ua, ub, amount, "t", key))


async def _check(env: Env, users: list[str], model: dict[str, int]) -> None:
    async with env.stores.sql.read() as conn:
        balances = dict((await conn.execute(sa.select(wallets.c.user_id, wallets.c.balance)
                                            .where(wallets.c.user_id.in_(users)))).all())
        sums = dict((await conn.execute(
            sa.select(besitos_ledger.c.user_id, sa.func.sum(besitos_ledger.c.amount))
            .where(besitos_ledger.c.user_id.in_(users))
            .group_by(besitos_ledger.c.user_id))).all())
        last = dict((await conn.execute(
            sa.select(besitos_ledger.c.user_id, besitos_ledger.c.balance_after)
            .where(besitos_ledger.c.user_id.in_(users))
            .order_by(besitos_ledger.c.id))).all())  # the last row per user wins
    for user in users:
        assert balances.get(user, 0) == sums.get(user, 0) == model[user] >= 0
        assert last.get(user, 0) == model[user]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_ledger_matches_model(ledger_env: tuple[asyncio.AbstractEventLoop, Env],
                              ops: list[Op]) -> None:
    loop, env = ledger_env
    n = next(_examples)
    users = [str(n * 10 + i) for i in range(3)]
    besitos = besitos_service(env.stores, env.bus)

    async def scenario() -> None:
        for user in users:
            await env.add_user(user)
        model = dict.fromkeys(users, 0)
        seen: dict[str, tuple[object, ...]] = {}
        for op in ops:
            await _apply(besitos, users, op, f"ex{n}", model, seen)
        await _check(env, users, model)
        total_awarded = sum(amount for kind, _, _, amount, _ in ops if kind == "award")
        assert sum(model.values()) <= total_awarded  # transfers create nothing

    loop.run_until_complete(scenario())


async def _concurrent_spends(env: Env) -> None:
    besitos = besitos_service(env.stores, env.bus)
    await env.add_user("5")
    await besitos.award("5", 300, "seed", "seed")
    results = await asyncio.gather(*(besitos.spend("5", 1, "shop", f"spend-{i}")
                                      for i in range(1000)), return_exceptions=True)
    ok = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, InsufficientFundsError)]
    assert len(ok) == 300 and len(refused) == 700
    assert await besitos.balance("5") == 0
    assert await env.scalar(sa.select(sa.func.count()).select_from(besitos_ledger)) == 301
    assert await env.scalar(sa.select(sa.func.count()).select_from(event_log)
                            .where(event_log.c.event_type == "besitos_spent")) == 300


async def test_concurrent_spends_sqlite(env: Env) -> None:
    await _concurrent_spends(env)


@pytest.mark.postgres
async def test_concurrent_spends_postgres(make_env: EnvFactory, postgres_url: str) -> None:
    await _concurrent_spends(await make_env(postgres_url))
