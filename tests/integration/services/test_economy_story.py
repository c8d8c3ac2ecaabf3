"""The story's progress events, item effects on the story, content_published, and the
reaction rules the economy adds (daily cap, VIP multiplier), on the embedded default."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa

from tests.integration.services.economy_env import Econ, build_econ
from tests.integration.services.ledger_env import Env
from tests.integration.services.test_coordinator import wait_for
from yabot.services.container import coordinator_service, narrative_service, subscription_service
from yabot.services.narrative.item_effects import ItemEffects
from yabot.settings import EconomySettings
from yabot.storage.sql.tables import event_log, hint_unlocks
from yabot.storage.sql.tables_economy import user_missions


async def _types(env: Env, user: str) -> list[str]:
    async with env.stores.sql.read() as conn:
        rows = await conn.execute(sa.select(event_log.c.event_type, event_log.c.event_data)
                                  .where(event_log.c.user_id == user)
                                  .order_by(event_log.c.timestamp))
        return [r.event_type for r in rows]


async def test_progress_events_with_the_choice(env: Env) -> None:
    narrative = narrative_service(env.stores, env.bus)
    await env.add_user("201")
    await narrative.start("201")
    for choice in ("choice_b", "choice_inn", "choice_cellar", "choice_cellar_out"):
        await narrative.process_choice("201", choice)
    types = await _types(env, "201")
    assert types.count("fragment_completed") == 4 and types.count("fragment_started") == 4
    assert types.count("secret_discovered") == 1
    assert types.count("level_completed") == 0
    await narrative.process_choice("201", "choice_cross")  # bridge_001 ends level 1
    types = await _types(env, "201")
    assert types.count("level_completed") == 1
    # back around to the bridge: the level and the secret count once per user
    for choice in ("choice_stairs", "choice_library", "choice_read", "choice_truth",
                   "choice_restart", "choice_b", "choice_inn", "choice_cellar",
                   "choice_cellar_out", "choice_cross"):
        await narrative.process_choice("201", choice)
    types = await _types(env, "201")
    assert types.count("level_completed") == 2  # level_1 again no, level_2 once (mirror)
    assert types.count("secret_discovered") == 1


async def test_an_item_opens_a_vip_fragment_and_reveals_a_hint(env: Env) -> None:
    econ = build_econ(env)
    subs = subscription_service(env.stores, env.bus)
    narrative = narrative_service(env.stores, env.bus, subs)
    ItemEffects(hints=narrative.hints, story=narrative.story).register(env.bus)
    await env.add_user("202")
    await econ.besitos.award("202", 30, "seed", "seed-202")
    await econ.economy.shop.purchase("202", "key_001", "k1")
    await econ.economy.shop.purchase("202", "lantern_001", "l1")
    await narrative.start("202")
    await narrative.process_choice("202", "choice_a")
    denied = await narrative.process_choice("202", "choice_dig")
    assert denied.vip_denied
    await env.bus.start()
    await econ.economy.shop.use("202", "key_001", "u1")
    await econ.economy.shop.use("202", "lantern_001", "u2")

    async def opened() -> bool:
        outcome = await narrative.process_choice("202", "choice_dig")
        return not outcome.vip_denied and outcome.fragment.fragment_id == "vip_001"
    await wait_for(opened)
    assert await env.scalar(sa.select(sa.func.count()).select_from(hint_unlocks)
                            .where(hint_unlocks.c.user_id == "202")) == 1
    assert (await _types(env, "202")).count("narrative_hint_unlocked") == 1


async def test_loading_a_pack_publishes_what_changed(env: Env) -> None:
    narrative = narrative_service(env.stores, env.bus)
    pack = ("fragments:\n  - {fragment_id: forest_001, title: Otro, content: x}\n"
            "  - {fragment_id: new_001, title: Nuevo, content: y}\n"
            "trivia:\n  - {question_id: q_new, question: '¿Sí?', options: [a, b], answer: 0}\n")
    await narrative.load_pack_text(pack, source="extra.yaml")
    async with env.stores.sql.read() as conn:
        rows = (await conn.execute(sa.select(event_log.c.event_data).where(
            event_log.c.event_type == "content_published"))).scalars().all()
    published = [json.loads(r)["payload"] for r in rows]
    assert published[0]["source"] == "default_story.yaml"
    assert published[-1] == {"source": "extra.yaml", "details": {},
                             "added": {"fragments": ["new_001"], "trivia": ["q_new"]},
                             "changed": {"fragments": ["forest_001"]}}


async def test_reaction_cap_and_vip_multiplier(env: Env) -> None:
    subs = subscription_service(env.stores, env.bus)
    econ = build_econ(env)
    narrative = narrative_service(env.stores, env.bus, subs)
    coordinator = coordinator_service(
        env.stores, env.bus, besitos=econ.besitos, narrative=narrative,
        subscriptions=subs, reaction_reward=1,
        economy=EconomySettings(reaction_daily_cap=3, vip_besitos_multiplier=2))
    coordinator.register()
    await env.add_user("203")
    await env.add_user("204")
    await subs.set_plan("204", "vip")
    await env.bus.start()
    for message in range(5):
        await coordinator.record_reaction("203", chat_id=1, message_id=message,
                                          reaction_type="❤")
        await coordinator.record_reaction("204", chat_id=1, message_id=message,
                                          reaction_type="❤")

    async def done() -> bool:
        return (await econ.besitos.balance("203"), await econ.besitos.balance("204")) == (3, 6)
    await wait_for(done)
    await coordinator.stop()
    assert await econ.balanced("203") == 3  # capped at 3 rewards a day
    assert await econ.balanced("204") == 6  # 3 rewards × 2 for a VIP


async def test_the_day_end_expires_unfinished_missions(env: Env) -> None:
    econ = build_econ(env, missions_per_day=2)
    await env.add_user("205")
    lines = await econ.economy.missions.assign_today("205")
    assert len(lines) == 2 and {m.status for m in lines} == {"active"}
    assert await econ.economy.missions.expire_due() == 0  # the day has not ended
    async with env.stores.sql.write() as conn:
        await conn.execute(user_missions.update().where(user_missions.c.user_id == "205")
                           .values(expires_at=datetime(2000, 1, 1, tzinfo=UTC)))
    assert {m.status for m in await econ.economy.missions.today("205")} == {"expired"}
    assert await econ.economy.missions.expire_due() == 2
    again = await econ.economy.missions.assign_today("205")  # no new missions today
    assert [(m.mission_id, m.status) for m in again] == [(m.mission_id, "expired")
                                                         for m in lines]


async def test_begin_starts_the_story_with_fragment_started_once(econ: Econ) -> None:
    env = econ.env
    narrative = narrative_service(env.stores, env.bus)
    await env.add_user("209")
    assert await narrative.begin("209")
    assert not await narrative.begin("209")  # a second /start: nothing new
    async with env.stores.sql.read() as conn:
        rows = (await conn.execute(sa.select(event_log.c.event_data).where(
            event_log.c.user_id == "209", event_log.c.event_type == "fragment_started"))
        ).scalars().all()
    assert [json.loads(r)["payload"]["fragment_id"] for r in rows] == ["fragment_001"]
    assert (await narrative.current("209")).fragment_id == "fragment_001"
    doc = await env.stores.documents.users.get("209")
    assert doc is not None
    assert doc.current_state.narrative_progress.current_fragment == "fragment_001"
    # a user already on their way is not sent back
    await narrative.process_choice("209", "choice_a")
    assert not await narrative.begin("209")
    assert (await narrative.current("209")).fragment_id != "fragment_001"
