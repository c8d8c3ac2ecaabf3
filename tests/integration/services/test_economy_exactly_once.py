"""Every economy effect exactly once, on SQLite and PostgreSQL: concurrent purchases with one
key or beyond the balance, concurrent gift claims and trivia answers, uses with one key,
and achievements and missions under a redelivered event."""

from __future__ import annotations

import asyncio

import pytest

from tests.integration.services.economy_env import Econ
from yabot.domain.errors import AlreadyClaimedError, InsufficientFundsError, ItemUnavailableError
from yabot.domain.events import ReactionDetected, ReactionDetectedPayload
from yabot.storage.sql.tables import besitos_ledger
from yabot.storage.sql.tables_economy import achievement_unlocks, inventory, trivia_answers

LANTERN, PRICE = "lantern_001", 5


async def test_one_key_buys_once_under_concurrency(econ: Econ) -> None:
    await econ.env.add_user("101")
    await econ.besitos.award("101", 50, "seed", "seed-101")
    shop = econ.economy.shop
    results = await asyncio.gather(*(shop.purchase("101", LANTERN, "same-key")
                                     for _ in range(30)))
    assert sum(r.applied for r in results) == 1
    assert {r.balance for r in results} == {50 - PRICE}
    assert await econ.balanced("101") == 50 - PRICE
    assert [(i.item_id, i.quantity) for i in await shop.inventory("101")] == [(LANTERN, 1)]
    assert await econ.events("item_purchased", "101") == 1
    assert await econ.count(besitos_ledger, besitos_ledger.c.reason == f"purchase:{LANTERN}") == 1


async def test_purchases_never_overdraw(econ: Econ) -> None:
    await econ.env.add_user("102")
    await econ.besitos.award("102", PRICE * 20, "seed", "seed-102")
    results = await asyncio.gather(
        *(econ.economy.shop.purchase("102", LANTERN, f"k{i}") for i in range(100)),
        return_exceptions=True)
    ok = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, InsufficientFundsError)]
    assert len(ok) == 20 and len(refused) == 80, [r for r in results if r not in ok + refused]
    assert await econ.balanced("102") == 0
    assert await econ.count(inventory, inventory.c.user_id == "102",
                            inventory.c.quantity == 20) == 1
    assert await econ.events("item_purchased", "102") == 20


async def test_a_use_applies_once_per_key_and_never_below_zero(econ: Econ) -> None:
    await econ.env.add_user("103")
    await econ.besitos.award("103", PRICE * 2, "seed", "seed-103")
    shop = econ.economy.shop
    await shop.purchase("103", LANTERN, "b1", quantity=2)
    uses = await asyncio.gather(*(shop.use("103", LANTERN, "u1") for _ in range(10)))
    assert sum(u.applied for u in uses) == 1
    assert {u.hint_text for u in uses} == {
        "La luz del bosque se apaga con la prisa; mira bajo las raíces con paciencia."}
    results = await asyncio.gather(*(shop.use("103", LANTERN, f"u{i}") for i in range(2, 8)),
                                   return_exceptions=True)
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, ItemUnavailableError) for r in results
               if isinstance(r, BaseException))
    assert await shop.inventory("103") == []
    assert await econ.events("item_used", "103") == 2


async def test_one_gift_per_day_under_concurrency(econ: Econ) -> None:
    await econ.env.add_user("104")
    results = await asyncio.gather(*(econ.economy.gift.claim("104") for _ in range(20)),
                                   return_exceptions=True)
    ok = [r for r in results if not isinstance(r, BaseException)]
    assert len(ok) == 1 and ok[0].streak == 1 and ok[0].amount == 2
    assert all(isinstance(r, AlreadyClaimedError) for r in results if r not in ok)
    assert await econ.balanced("104") == 2
    with pytest.raises(AlreadyClaimedError):
        await econ.economy.gift.claim("104")


async def test_first_trivia_answer_counts_once(econ: Econ) -> None:
    await econ.env.add_user("105")
    trivia = econ.economy.trivia
    answers = await asyncio.gather(*(trivia.answer("105", "q_roble", i % 3)
                                     for i in range(15)))
    first = [a for a in answers if a.applied]
    assert len(first) == 1
    assert all(a.option == first[0].option and not a.applied for a in answers
               if a is not first[0])
    assert await econ.count(trivia_answers, trivia_answers.c.user_id == "105") == 1
    assert await econ.balanced("105") == (2 if first[0].correct else 0)
    assert await econ.events("trivia_answered", "105") == 1


async def test_achievement_and_mission_once_under_redelivery(econ: Econ) -> None:
    await econ.env.add_user("106")
    event = ReactionDetected(user_id="106", payload=ReactionDetectedPayload(
        content_id="106:1", reaction_type="❤"))
    for _ in range(3):  # the same event three times, each in its own transaction
        await econ.handle_alone(event)
    assert await econ.count(achievement_unlocks, achievement_unlocks.c.user_id == "106") == 1
    assert await econ.events("achievement_unlocked", "106") == 1
    assert await econ.events("mission_completed", "106") >= 1
    missions = {m.mission_id: m for m in await econ.economy.missions.today("106")}
    assert missions["react_1"].status == "completed"
    # first reaction +2, react_1 +1, react_3 +3 (the lost marks counted the event 3 times)
    reasons = {r: await econ.count(besitos_ledger, besitos_ledger.c.user_id == "106",
                                   besitos_ledger.c.reason == r)
               for r in ("achievement:first_reaction", "mission:react_1", "mission:react_3")}
    assert reasons == dict.fromkeys(reasons, 1)
    assert await econ.balanced("106") == 2 + 1 + 3
    assert await econ.events("mission_assigned", "106") == 5
