"""The update inbox over a real SQLite file: recorded once, processed once, retried after
a failure (with one apology), leftovers processed at start; the webhook route in front."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import sqlalchemy as sa
from aiogram import Dispatcher, Router
from aiogram.types import Message
from fastapi import FastAPI

from tests.unit.bot.conftest import InboxEnv
from yabot.bot.dispatcher import create_bot
from yabot.bot.inbox import Backoff, UpdateInbox
from yabot.bot.inbox_worker import UpdateProcessor
from yabot.bot.local_session import LocalSession
from yabot.bot.middlewares import ErrorMiddleware
from yabot.bot.outgoing import telegram_send
from yabot.bot.webhook import SECRET_HEADER, create_webhook_router
from yabot.services.container import update_records
from yabot.services.messaging.sender import Sender, SenderConfig
from yabot.settings import BotSettings
from yabot.storage.sql.repositories.messaging import MessageRepository
from yabot.storage.sql.tables import event_log
from yabot.storage.sql.tables_messaging import outgoing_messages
from yabot.storage.sql.updates import update_status


def update(update_id: int, text: str, uid: int = 5) -> dict[str, Any]:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": 0, "chat": {"id": uid, "type": "private"},
        "from": {"id": uid, "is_bot": False, "first_name": "A"}, "text": text}}


class Recorder:
    """Handlers that record what they saw; `flaky` texts fail on their first attempt."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.failed: set[str] = set()
        self.router = Router()
        self.router.message()(self.handle)

    async def handle(self, message: Message) -> None:
        text = message.text or ""
        if text.startswith("flaky") and text not in self.failed:
            self.failed.add(text)
            raise ConnectionError("store down")
        self.seen.append(text)
        await message.answer(f"echo {text}")


async def wait_done(env: InboxEnv, *ids: int) -> None:
    for _ in range(500):
        if all([await update_status(env.db, i) == "done" for i in ids]):
            return
        await asyncio.sleep(0.02)
    raise AssertionError([await update_status(env.db, i) for i in ids])


def processor(env: InboxEnv, inbox: UpdateInbox, recorder: Recorder,
              session: LocalSession) -> UpdateProcessor:
    dp = Dispatcher()
    dp.update.outer_middleware(ErrorMiddleware())
    dp.include_router(recorder.router)
    bot = create_bot(BotSettings(), session=session, token="1:test")
    return UpdateProcessor(inbox=inbox, records=inbox.records, dispatcher=dp, bot=bot, workers=2,
                           backoff=Backoff(base=0.01, cap=0.05))


async def queued_count(env: InboxEnv) -> int:
    async with env.db.read() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(
            outgoing_messages).where(outgoing_messages.c.status == "queued"))).scalar_one())


async def send_queued(env: InboxEnv, proc: UpdateProcessor) -> None:
    """Run the sender over the processor's bot until the queue is empty."""
    sender = Sender(MessageRepository(env.db), telegram_send(proc.bot),
                    config=SenderConfig(rate=1000, chat_rate=1000, idle_poll=0.02))
    sender.start()
    for _ in range(500):
        if await queued_count(env) == 0 and sender.stats.sent:
            break
        await asyncio.sleep(0.02)
    await sender.stop()
    assert await queued_count(env) == 0


async def test_recorded_once_with_update_received(inbox_env: InboxEnv) -> None:
    inbox = UpdateInbox(inbox_env.bus, update_records(inbox_env.db))
    assert await inbox.record(update(1, "hola"))
    assert not await inbox.record(update(1, "hola"))
    assert await update_status(inbox_env.db, 1) == "pending"
    async with inbox_env.db.read() as conn:
        rows = (await conn.execute(sa.select(event_log.c.event_data).where(
            event_log.c.event_type == "update_received"))).scalars().all()
    assert [json.loads(r)["payload"] for r in rows] == [
        {"update_id": 1, "update_type": "message"}]


async def test_leftovers_processed_at_start_and_failures_retried(inbox_env: InboxEnv) -> None:
    inbox = UpdateInbox(inbox_env.bus, update_records(inbox_env.db))
    recorder, session = Recorder(), LocalSession()
    for i, text in enumerate(["uno", "flaky dos", "tres"], 1):
        await inbox.record(update(i, text, uid=i))  # before the processor runs
    proc = processor(inbox_env, inbox, recorder, session)
    assert await proc.start() == 3
    await inbox.record(update(4, "cuatro"))
    await inbox.record(update(4, "cuatro"))  # redelivered
    await wait_done(inbox_env, 1, 2, 3, 4)
    await proc.stop()
    assert sorted(recorder.seen) == ["cuatro", "flaky dos", "tres", "uno"]
    assert session.sent.empty()  # replies are queue rows, committed with the done marks
    assert await queued_count(inbox_env) == 5  # four echoes and one apology
    await send_queued(inbox_env, proc)
    replies = []
    while not session.sent.empty():
        replies.append(session.sent.get_nowait().text or "")
    assert sum("algo ha fallado" in r for r in replies) == 1  # one apology, first attempt
    assert sorted(r for r in replies if r.startswith("echo")) == [
        "echo cuatro", "echo flaky dos", "echo tres", "echo uno"]


async def test_webhook_route_checks_secret_and_body(inbox_env: InboxEnv) -> None:
    inbox = UpdateInbox(inbox_env.bus, update_records(inbox_env.db))
    app = FastAPI()
    app.include_router(create_webhook_router(path="/hook", secret="s3cret", inbox=inbox))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://t") as client:
        wrong = await client.post("/hook", json=update(9, "x"), headers={SECRET_HEADER: "no"})
        missing = await client.post("/hook", json=update(9, "x"))
        assert (wrong.status_code, missing.status_code) == (401, 401)
        assert wrong.json()["error"]["code"] == "unauthorized"
        assert await update_status(inbox_env.db, 9) is None
        bad = await client.post("/hook", content=b"{oops", headers={SECRET_HEADER: "s3cret"})
        assert bad.status_code == 400
        for _ in range(2):
            ok = await client.post("/hook", json=update(9, "x"), headers={SECRET_HEADER: "s3cret"})
            assert ok.status_code == 200
        assert await update_status(inbox_env.db, 9) == "pending"
