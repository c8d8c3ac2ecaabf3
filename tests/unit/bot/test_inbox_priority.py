"""A pre-checkout query is answered ahead of any backlog (Telegram waits only 10 s), and
the throttle never drops a payment."""

from __future__ import annotations

import asyncio
from typing import Any

from aiogram import Dispatcher, Router
from aiogram.types import Message, PreCheckoutQuery, Update, User

from tests.unit.bot.conftest import InboxEnv
from tests.unit.bot.test_inbox import update, wait_done
from yabot.bot.dispatcher import create_bot
from yabot.bot.inbox import UpdateInbox
from yabot.bot.inbox_worker import UpdateProcessor, is_priority
from yabot.bot.local_session import LocalSession
from yabot.bot.middlewares import ThrottleConfig, ThrottleMiddleware
from yabot.services.container import update_records
from yabot.settings import BotSettings


def pre_checkout(update_id: int, uid: int, payload: str = "vip:x") -> dict[str, Any]:
    return {"update_id": update_id, "pre_checkout_query": {
        "id": f"pcq{update_id}", "from": {"id": uid, "is_bot": False, "first_name": "A"},
        "currency": "XTR", "total_amount": 250, "invoice_payload": payload}}


async def test_a_pre_checkout_is_answered_while_the_backlog_waits(inbox_env: InboxEnv) -> None:
    gate, answered = asyncio.Event(), asyncio.Event()
    handled: list[str] = []
    router = Router()

    @router.message()
    async def slow(message: Message) -> None:  # every ordinary update waits for the gate
        await gate.wait()
        handled.append(message.text or "")

    @router.pre_checkout_query()
    async def check(query: PreCheckoutQuery) -> None:
        handled.append(f"pre-checkout {query.id}")
        answered.set()

    dp = Dispatcher()
    dp.include_router(router)
    inbox = UpdateInbox(inbox_env.bus, update_records(inbox_env.db))
    proc = UpdateProcessor(inbox=inbox, records=inbox.records, dispatcher=dp, workers=2,
                           bot=create_bot(BotSettings(), session=LocalSession(), token="1:t"))
    await proc.start()
    backlog = 200
    for i in range(1, backlog + 1):  # many users, so both ordinary queues are full
        await inbox.record(update(i, f"m{i}", uid=1000 + i))
    await inbox.record(pre_checkout(backlog + 1, uid=1001))  # a user with one queued too
    await asyncio.wait_for(answered.wait(), timeout=30)
    assert handled == [f"pre-checkout pcq{backlog + 1}"]  # nothing else got through
    gate.set()
    await wait_done(inbox_env, *range(1, backlog + 2))
    await proc.stop()
    assert len(handled) == backlog + 1


def test_only_a_pre_checkout_key_takes_the_fast_lane() -> None:
    assert is_priority('{"update_id":1,"pre_checkout_query":{"id":"q"}}')
    text = '{"update_id":2,"message":{"text":"\\"pre_checkout_query\\": hola"}}'
    assert not is_priority(text)


async def test_the_throttle_never_drops_a_payment() -> None:
    throttle = ThrottleMiddleware(ThrottleConfig(burst=1, rate=0.001))
    seen: list[int] = []

    async def handler(event: Any, data: dict[str, Any]) -> str:
        seen.append(event.update_id)
        return "ok"

    user = {"id": 7, "is_bot": False, "first_name": "A"}
    paid = {"update_id": 3, "message": {
        "message_id": 3, "date": 0, "chat": {"id": 7, "type": "private"}, "from": user,
        "successful_payment": {"currency": "XTR", "total_amount": 250,
                               "invoice_payload": "vip:x", "telegram_payment_charge_id": "c",
                               "provider_payment_charge_id": ""}}}

    for raw in (update(1, "hola", uid=7), update(2, "otra", uid=7), pre_checkout(4, 7),
                paid):
        event = Update.model_validate(raw)
        await throttle(handler, event, {"event_from_user": User.model_validate(user)})
    assert seen == [1, 4, 3]  # the second message is throttled; the payments are not
