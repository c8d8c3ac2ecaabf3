"""Scale-out proof: two `yabot run` processes share one PostgreSQL, one MongoDB (nx-27017)
and one Redis; webhook updates go to both, some redelivered to the other instance. Every
effect happens once, each user's events are handled in order, and no event dead-letters."""

from __future__ import annotations

import asyncio
import json
from contextlib import ExitStack
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from tests.e2e.bot.fake_api import FakeBotAPI, button, message, reaction
from tests.e2e.bot.service import Service, run_service
from tests.fixtures.redis import RedisServer
from yabot.storage.sql.tables import dead_letters, event_log, ordering_gaps, processed_updates

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres, pytest.mark.mongo]
USERS = 12
REACTIONS = (501, 502, 503)  # message ids reacted to; 501 once more with another emoji
REWARD = 3  # REACTION_REWARD_BESITOS of tests/e2e/bot/service.py
FIRST_REACTION = 2  # the demo pack's first-reaction achievement (missions are off here)


def journey(uid: int, first_update: int) -> list[list[dict[str, object]]]:
    """One user's updates in steps; a step's update waits for the previous step's reply."""
    n = first_update
    return [[message(n, uid, "/start")], [button(n + 1, uid, "menu:story")],
            [button(n + 2, uid, "story:fragment_001:choice_a")],
            [reaction(n + 3 + i, uid, m) for i, m in enumerate(REACTIONS)]
            + [reaction(n + 6, uid, REACTIONS[0], emoji="👍")]]


async def _facts(url: str) -> dict[str, object]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            awards = (await conn.execute(
                sa.select(event_log.c.user_id, event_log.c.event_data)
                .where(event_log.c.event_type == "besitos_awarded"))).all()
            counts = {name: (await conn.execute(sa.select(sa.func.count())
                                                .select_from(table))).scalar_one()
                      for name, table in (("dead_letters", dead_letters),
                                          ("gaps", ordering_gaps),
                                          ("updates", processed_updates))}
    finally:
        await engine.dispose()
    per_user: dict[str, list[tuple[int, int]]] = {}
    for user_id, data in awards:
        event = json.loads(data)
        if event["payload"]["reason"] == "reaction":  # the coordinator's sequenced awards
            per_user.setdefault(user_id, []).append((event["sequence"],
                                                     event["payload"]["balance"]))
    return {"awards": per_user, **counts}


def _balance(svc: Service, uid: int) -> int:
    status, wallet = svc.api("GET", f"/user/{uid}/besitos")
    return int(wallet["balance"]) if status == 200 else -1


def test_two_instances_share_the_work_without_duplicates(
        tmp_path: Path, private_redis: RedisServer, postgres_url: str,
        mongo_uri_and_db: tuple[str, str]) -> None:
    mongo_uri, mongo_db = mongo_uri_and_db
    shared = {"DATABASE_URL": postgres_url, "MONGODB_URI": mongo_uri,
              "MONGODB_DATABASE": mongo_db,
              "REDIS_URL": f"redis://127.0.0.1:{private_redis.port}/0",
              "MISSIONS_PER_DAY": "0"}
    with FakeBotAPI() as fake, ExitStack() as stack:
        instances = []
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            instances.append(stack.enter_context(
                run_service(tmp_path / name, fake.url, webhook=True, **shared)))
        users = [8_100 + i for i in range(USERS)]
        plans = {uid: journey(uid, 1_000 * (i + 1)) for i, uid in enumerate(users)}
        sent = 0
        for step, expect in enumerate(("Bienvenida", "El Comienzo", "El Bosque", None)):
            for i, uid in enumerate(users):
                for update in plans[uid][step]:
                    target = instances[(i + step + sent) % 2]
                    assert target.hook(update)[0] == 200
                    sent += 1
            if expect is not None:
                for uid in users:
                    fake.wait_text(uid, expect)
        # redeliveries, to the other instance than the one that took each update first
        for i, uid in enumerate(users[:4]):
            for update in (plans[uid][0][0], plans[uid][3][1]):
                assert instances[i % 2].hook(update)[0] == 200
                assert instances[(i + 1) % 2].hook(update)[0] == 200

        expected = REWARD * len(REACTIONS) + FIRST_REACTION
        assert fake.wait_for(lambda: all(_balance(instances[uid % 2], uid) == expected
                                         for uid in users), timeout=60), [
            _balance(instances[0], uid) for uid in users]
        for uid in users:
            assert fake.count_text(uid, "Bienvenida") == 1, uid  # /start handled once

        facts = asyncio.run(_facts(postgres_url))
    assert facts["dead_letters"] == 0
    assert facts["gaps"] == 0
    assert facts["updates"] == sent  # every update recorded once, redeliveries included
    awards = facts["awards"]
    assert isinstance(awards, dict)
    for uid in users:
        history = sorted(awards[str(uid)])
        # awarded once per message, applied in per-user order: balances rise step by step
        # (the achievement's reward may land between two of them, once)
        balances = [balance for _, balance in history]
        steps = [b - a for a, b in zip([0, *balances], balances, strict=False)]
        assert len(balances) == 3, history
        assert sorted(steps) in ([REWARD] * 3, [REWARD, REWARD, REWARD + FIRST_REACTION]), history
