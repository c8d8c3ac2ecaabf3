"""Coordinator end to end: reaction → besitos → hint, in causal order, awarded once;
on the memory transport and on Redis Streams."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from tests.integration.services.ledger_env import Env, EnvFactory
from yabot.domain.events import ReactionDetected, ReactionDetectedPayload
from yabot.events.transports.base import OutgoingMessage, Transport
from yabot.events.transports.memory import MemoryTransport
from yabot.services.container import (
    besitos_service,
    coordinator_service,
    narrative_service,
    subscription_service,
)
from yabot.services.wallet.service import BesitosService
from yabot.services.workflow.coordinator import CoordinatorService
from yabot.settings import RedisSettings
from yabot.storage.sql.tables import event_log, hint_unlocks, reaction_rewards

CHAIN = ("reaction_detected", "besitos_awarded", "narrative_hint_unlocked")


def coordinator_for(env: Env, reward: int = 1) -> CoordinatorService:
    subs = subscription_service(env.stores, env.bus)
    besitos = besitos_service(env.stores, env.bus)
    narrative = narrative_service(env.stores, env.bus, subs)
    return coordinator_service(env.stores, env.bus, besitos=besitos, narrative=narrative,
                               subscriptions=subs, reaction_reward=reward)


async def wait_for(check: Callable[[], object], timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():  # type: ignore[misc]
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def chain_events(env: Env, user: str) -> list[dict[str, object]]:
    async with env.stores.sql.read() as conn:
        rows = (await conn.execute(sa.select(event_log.c.event_data).where(
            event_log.c.user_id == user, event_log.c.event_type.in_(CHAIN)))).scalars()
        events = [e for e in map(json.loads, rows) if e["sequence"] is not None]
    return sorted(events, key=lambda e: int(str(e["sequence"])))


async def run_reactions(env: Env) -> None:
    coordinator = coordinator_for(env)
    coordinator.register()
    await env.add_user("42")
    await env.bus.start()
    besitos = coordinator.besitos
    # three messages, one of them reacted to twice with another emoji
    for message, emoji in ((1, "❤"), (2, "🔥"), (1, "👍"), (3, "❤")):
        await coordinator.record_reaction("42", chat_id=-100, message_id=message,
                                          reaction_type=emoji)

    async def rewarded() -> bool:
        return await besitos.balance("42") == 3 and len(
            [e for e in await chain_events(env, "42")
             if e["event_type"] == "narrative_hint_unlocked"]) == 1
    await wait_for(rewarded)
    # a redelivered reaction (same event) and a new event for a rewarded message: no award
    again = ReactionDetected(user_id="42", payload=ReactionDetectedPayload(
        content_id="-100:2", reaction_type="😂"))
    await env.bus.publish(again)
    message = OutgoingMessage(event_id=again.event_id, event_type=again.event_type,
                              key=again.user_id, data=again.to_json())
    await env.bus.transport.send([message, message])  # the transport delivers it again
    await coordinator.record_reaction("42", chat_id=-100, message_id=4, reaction_type="❤")
    await wait_for(lambda: _balance_is(besitos, 4))
    await asyncio.sleep(0.5)  # would-be duplicates have had time to be handled
    assert await besitos.balance("42") == 4
    assert await env.scalar(sa.select(sa.func.count()).select_from(reaction_rewards)) == 4
    assert await env.scalar(sa.select(sa.func.count()).select_from(hint_unlocks)) == 1

    events = await chain_events(env, "42")
    kinds = [e["event_type"] for e in events]
    by_id = {e["event_id"]: e for e in events}
    hint = next(e for e in events if e["event_type"] == "narrative_hint_unlocked")
    award = by_id[hint["causation_id"]]
    reaction = by_id[award["causation_id"]]
    assert award["event_type"] == "besitos_awarded" and award["payload"]["balance"] == 3
    assert reaction["event_type"] == "reaction_detected"
    assert (int(str(reaction["sequence"])) < int(str(award["sequence"]))
            < int(str(hint["sequence"])))
    assert hint["payload"]["hint_id"] == "hint_forest_001"
    assert kinds.count("besitos_awarded") == 4
    await coordinator.stop()


async def _balance_is(besitos: BesitosService, value: int) -> bool:
    return await besitos.balance("42") == value


async def test_reaction_chain_memory(env: Env) -> None:
    await run_reactions(env)


@pytest.mark.redis
async def test_reaction_chain_redis(make_env: EnvFactory, redis_url: str) -> None:
    from yabot.events.transports.redis_streams import create_redis_transport

    transport: Transport = create_redis_transport(RedisSettings(url=SecretStr(redis_url)))
    await run_reactions(await make_env(transport=transport))


async def test_unknown_user_and_zero_reward(make_env: EnvFactory) -> None:
    env = await make_env(transport=MemoryTransport(partitions=2))
    coordinator = coordinator_for(env)
    coordinator.register()
    await env.bus.start()
    await coordinator.record_reaction("999", chat_id=1, message_id=1, reaction_type="❤")
    await asyncio.sleep(0.5)
    assert await env.scalar(sa.select(sa.func.count()).select_from(reaction_rewards)) == 0
    await coordinator.stop()
