"""Replies committed with their update already leased to the in-process sender: sent once,
in order, without a claim of their own; other chats' rows and a stopping sender fall back
to the queue."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.integration.messaging.test_sender import _eq, fake_bot, sender, statuses, until
from yabot.events.handler_context import Publisher
from yabot.services.messaging.update_commit import UpdateEffects, commit_updates
from yabot.storage.sql.database import Database
from yabot.storage.sql.repositories.messaging import MessageRepository
from yabot.storage.sql.tables_messaging import outgoing_messages as t

pytestmark = pytest.mark.parametrize("queue_db", ["sqlite"], indirect=True)
__all__ = ["fake_bot"]  # the fixture, imported for its name


def reply(chat: int, text: str) -> tuple[int, str, str]:
    return chat, "sendMessage", f'{{"chat_id":{chat},"text":"{text}"}}'


async def test_replies_to_the_writer_are_committed_claimed_and_sent_once(
        queue_db: Database, fake_bot: tuple[object, object]) -> None:
    fake, bot = fake_bot
    s = sender(queue_db, bot)  # type: ignore[arg-type]
    s.start()
    claim = s.reply_claim()
    assert claim is not None and claim.owner == s.owner
    effects = UpdateEffects(update_id=None, from_chat=21,
                            calls=[reply(21, "uno"), reply(21, "dos"), reply(99, "otro")])
    async with queue_db.write() as conn:
        committed = await commit_updates(MessageRepository(queue_db), Publisher(conn=conn),
                                         [effects], claim=claim)
    assert [m.chat_id for m in committed.claimed] == [21, 21]
    assert committed.queued == 1  # another chat: left for a claim (it may be blocked)
    async with queue_db.read() as conn:
        owners = dict((await conn.execute(sa.select(t.c.chat_id, t.c.claimed_by)
                                          .order_by(t.c.id))).all())
    assert owners == {21: s.owner, 99: None}
    s.adopt(committed.claimed)
    s.wake()
    await until(lambda: _eq(statuses(queue_db), {"sent": 3}))
    await s.stop()
    assert [p["text"] for p in fake.sent_to(21)] == ["uno", "dos"]  # type: ignore[attr-defined]
    assert [p["text"] for p in fake.sent_to(99)] == ["otro"]  # type: ignore[attr-defined]


async def test_a_stopping_sender_gives_adopted_rows_back_to_the_queue(
        queue_db: Database, fake_bot: tuple[object, object]) -> None:
    fake, bot = fake_bot
    s = sender(queue_db, bot)  # type: ignore[arg-type]
    s.start()
    claim = s.reply_claim()
    effects = UpdateEffects(from_chat=22, calls=[reply(22, "tarde")])
    async with queue_db.write() as conn:
        committed = await commit_updates(MessageRepository(queue_db), Publisher(conn=conn),
                                         [effects], claim=claim)
    await s.stop()
    assert s.reply_claim() is None  # stopped: replies are queued unclaimed
    s.adopt(committed.claimed)
    await s.stop()  # settles what adopt released
    async with queue_db.read() as conn:
        rows = (await conn.execute(sa.select(t.c.status, t.c.claimed_by))).all()
    assert [tuple(r) for r in rows] == [("queued", None)]
    assert fake.sent_to(22) == []  # type: ignore[attr-defined]
    again = sender(queue_db, bot)  # type: ignore[arg-type]
    again.start()  # the next run claims it at once (no lease to wait out)
    await until(lambda: _eq(statuses(queue_db), {"sent": 1}), timeout=5)
    await again.stop()
    assert [p["text"] for p in fake.sent_to(22)] == ["tarde"]  # type: ignore[attr-defined]
