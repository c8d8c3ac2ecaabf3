"""BesitosService on real SQLite: ledger, wallet, idempotency, events in the outbox."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.integration.services.ledger_env import Env
from yabot.domain.errors import ConflictError, InsufficientFundsError, NotFoundError
from yabot.services.wallet.service import BesitosService
from yabot.storage.sql.tables import besitos_ledger, event_log, wallets


async def _events(env: Env, event_type: str) -> int:
    return await env.scalar(sa.select(sa.func.count()).select_from(event_log)
                            .where(event_log.c.event_type == event_type))


async def test_award_spend_and_replay(env: Env, besitos: BesitosService) -> None:
    await env.add_user("1")
    first = await besitos.award("1", 5, "gift", "k1")
    assert first.applied and first.balance == 5 and first.entry.amount == 5
    again = await besitos.award("1", 5, "gift", "k1")
    assert not again.applied and again.entry == first.entry and again.balance == 5
    spent = await besitos.apply("1", -3, "shop", "k2")
    assert spent.applied and spent.balance == 2 and spent.entry.amount == -3
    assert await _events(env, "besitos_awarded") == 1
    assert await _events(env, "besitos_spent") == 1
    view = await besitos.wallet("1")
    assert view.balance == 2 and [e.idempotency_key for e in view.entries] == ["k2", "k1"]


async def test_overspend_changes_nothing(env: Env, besitos: BesitosService) -> None:
    await env.add_user("1")
    await besitos.award("1", 2, "gift", "k1")
    with pytest.raises(InsufficientFundsError) as info:
        await besitos.spend("1", 3, "shop", "k2")
    assert info.value.balance == 2 and info.value.amount == 3
    assert await env.scalar(sa.select(sa.func.count()).select_from(besitos_ledger)) == 1
    assert await env.scalar(sa.select(wallets.c.balance)) == 2
    assert await _events(env, "besitos_spent") == 0
    # the key was not consumed by the failure: it works once there is money
    await besitos.award("1", 5, "gift", "k3")
    assert (await besitos.spend("1", 3, "shop", "k2")).balance == 4


async def test_errors(env: Env, besitos: BesitosService) -> None:
    await env.add_user("1")
    with pytest.raises(NotFoundError) as info:
        await besitos.award("404", 1, "gift", "k")
    assert info.value.kind == "user"
    with pytest.raises(NotFoundError):
        await besitos.wallet("404")
    for bad in (0, -1):
        with pytest.raises(ValueError):
            await besitos.award("1", bad, "gift", "k")
    with pytest.raises(ValueError):
        await besitos.apply("1", 0, "gift", "k")
    await besitos.award("1", 1, "gift", "used")
    with pytest.raises(ConflictError):  # same key, another operation
        await besitos.award("1", 2, "gift", "used")


async def test_transfer_keeps_total(env: Env, besitos: BesitosService) -> None:
    await env.add_user("1")
    await env.add_user("2")
    await besitos.award("1", 10, "gift", "k1")
    out, into = await besitos.transfer("1", "2", 4, "present", "t1")
    assert (out.balance, into.balance) == (6, 4) and out.applied and into.applied
    assert out.entry.idempotency_key == "t1:out" and into.entry.idempotency_key == "t1:in"
    out2, into2 = await besitos.transfer("1", "2", 4, "present", "t1")
    assert not out2.applied and not into2.applied and (out2.balance, into2.balance) == (6, 4)
    with pytest.raises(InsufficientFundsError):
        await besitos.transfer("1", "2", 7, "present", "t2")
    assert await env.scalar(sa.select(sa.func.sum(wallets.c.balance))) == 10
    with pytest.raises(ValueError):
        await besitos.transfer("1", "1", 1, "self", "t3")
