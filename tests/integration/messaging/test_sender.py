"""The sender against the fake Bot API over HTTP: 429 retry_after, 403 blocks the user until
they write again, about one message per second per chat."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.e2e.bot.fake_api import FakeBotAPI
from yabot.bot.dispatcher import create_bot
from yabot.bot.outgoing import telegram_send
from yabot.events.handler_context import Publisher
from yabot.services.messaging import MessageQueue
from yabot.services.messaging.sender import Sender, SenderConfig
from yabot.settings import BotSettings
from yabot.storage.sql.database import Database
from yabot.storage.sql.repositories import messaging as repo
from yabot.storage.sql.repositories.messaging import MessageRepository
from yabot.storage.sql.tables_messaging import outgoing_messages as t

pytestmark = pytest.mark.parametrize("queue_db", ["sqlite"], indirect=True)


@pytest.fixture
async def fake_bot() -> AsyncIterator[tuple[FakeBotAPI, Bot]]:
    with FakeBotAPI() as fake:
        bot = create_bot(BotSettings(telegram_api_url=fake.url), token="1:test")
        try:
            yield fake, bot
        finally:
            await bot.session.close()


async def enqueue(db: Database, conn: AsyncConnection, **message: Any) -> int | None:
    """`MessageQueue.enqueue` in the open transaction `conn`."""
    return await MessageQueue(MessageRepository(db)).enqueue(Publisher(conn=conn), **message)


async def statuses(db: Database) -> dict[str, int]:
    async with db.read() as conn:
        return await repo.message_counts(conn)


async def until(predicate: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


def sender(db: Database, bot: Bot, **config: float) -> Sender:
    return Sender(MessageRepository(db), telegram_send(bot), config=SenderConfig(
        **{"rate": 1000.0, "chat_rate": 1000.0, "chat_burst": 1000.0, "idle_poll": 0.02,
           **config}))  # type: ignore[arg-type]


async def test_429_waits_retry_after_then_sends_once(queue_db: Database,
                                                     fake_bot: tuple[FakeBotAPI, Bot]) -> None:
    fake, bot = fake_bot
    fake.fail("sendMessage", 1, status=429, retry_after=1)
    async with queue_db.write() as conn:
        await enqueue(queue_db, conn, chat_id=11, text="hola")
    s = sender(queue_db, bot)
    started = time.monotonic()
    s.start()
    await until(lambda: _eq(statuses(queue_db), {"sent": 1}))
    elapsed = time.monotonic() - started
    await s.stop()
    assert [p["text"] for p in fake.sent_to(11)] == ["hola"]
    assert elapsed >= 1.0  # retry_after honoured before the second attempt


async def test_403_blocks_until_the_user_writes_again(queue_db: Database,
                                                      fake_bot: tuple[FakeBotAPI, Bot]) -> None:
    fake, bot = fake_bot
    fake.fail("sendMessage", 1, status=403)
    async with queue_db.write() as conn:
        await enqueue(queue_db, conn, chat_id=12, text="uno")
    s = sender(queue_db, bot)
    s.start()
    await until(lambda: _eq(statuses(queue_db), {"blocked": 1}))
    async with queue_db.write() as conn:  # a notice later: suppressed, the user is blocked
        await enqueue(queue_db, conn, chat_id=12, text="dos", kind="notice")
    s.wake()
    await until(lambda: _eq(statuses(queue_db), {"blocked": 2}))
    async with queue_db.write() as conn:  # the user writes again (the update commit unblocks)
        await repo.unblock(conn, [12])
        await enqueue(queue_db, conn, chat_id=12, text="tres")
    s.wake()
    await until(lambda: _eq(statuses(queue_db), {"blocked": 2, "sent": 1}))
    await s.stop()
    assert [p["text"] for p in fake.sent_to(12)] == ["tres"]


async def test_about_one_message_per_second_per_chat(queue_db: Database,
                                                     fake_bot: tuple[FakeBotAPI, Bot]) -> None:
    fake, bot = fake_bot
    async with queue_db.write() as conn:
        for i in range(4):
            await enqueue(queue_db, conn, chat_id=13, text=f"a{i}")
            await enqueue(queue_db, conn, chat_id=14, text=f"b{i}")
    s = sender(queue_db, bot, chat_rate=2.0, chat_burst=1.0)
    s.start()
    started = time.monotonic()
    await until(lambda: _eq(statuses(queue_db), {"sent": 8}))
    elapsed = time.monotonic() - started
    await s.stop()
    assert [p["text"] for p in fake.sent_to(13)] == ["a0", "a1", "a2", "a3"]  # in order
    assert [p["text"] for p in fake.sent_to(14)] == ["b0", "b1", "b2", "b3"]
    # 4 messages per chat at 2/s with no burst: at least 1.5 s
    assert elapsed >= 1.4, elapsed
    async with queue_db.read() as conn:
        attempts = (await conn.execute(sa.select(sa.func.max(t.c.attempts)))).scalar_one()
    assert attempts == 1


async def _eq(value: object, expected: object) -> bool:
    return await value == expected  # type: ignore[misc]
