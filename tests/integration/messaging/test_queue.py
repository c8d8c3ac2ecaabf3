"""The outgoing queue's rows: enqueue in a transaction, claim with a lease, settle."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.integration.messaging.test_sender import enqueue
from yabot.domain.clock import utcnow
from yabot.storage.sql.database import Database
from yabot.storage.sql.repositories import messaging as repo


async def test_enqueue_commits_with_the_transaction_and_dedupes(queue_db: Database) -> None:
    async with queue_db.write() as conn:
        first = await enqueue(queue_db, conn, chat_id=7, text="hola", dedupe_key="k1",
                              kind="notice", reply_markup={"inline_keyboard": [[
                                  {"text": "a", "callback_data": "x"}]]})
        again = await enqueue(queue_db, conn, chat_id=7, text="hola", dedupe_key="k1",
                              kind="notice")
    assert first is not None and again is None
    with pytest.raises(RuntimeError):
        async with queue_db.write() as conn:
            await enqueue(queue_db, conn, chat_id=8, text="lost")
            raise RuntimeError("rolled back")
    now = utcnow()
    async with queue_db.write() as conn:
        rows = await repo.claim(conn, owner="p1", now=now, until=now + timedelta(seconds=30),
                                limit=10)
    assert [(r.chat_id, r.kind) for r in rows] == [(7, "notice")]
    assert json.loads(rows[0].params)["reply_markup"]["inline_keyboard"][0][0]["text"] == "a"


async def test_a_claim_is_leased_and_replies_come_first(queue_db: Database) -> None:
    async with queue_db.write() as conn:
        for kind in ("broadcast", "notice", "reply"):
            await enqueue(queue_db, conn, chat_id=1, text=kind, kind=kind)  # type: ignore[arg-type]
    now = utcnow()
    async with queue_db.write() as conn:
        mine = await repo.claim(conn, owner="p1", now=now, until=now + timedelta(seconds=30),
                                limit=2)
    async with queue_db.write() as conn:
        other = await repo.claim(conn, owner="p2", now=now, until=now + timedelta(seconds=30),
                                 limit=10)
    assert sorted(r.kind for r in mine) == ["notice", "reply"]
    assert [r.kind for r in other] == ["broadcast"]  # the leased rows are not claimed twice
    later = now + timedelta(seconds=31)  # the lease ran out (its holder died): claimable again
    async with queue_db.write() as conn:
        again = await repo.claim(conn, owner="p3", now=later, until=later, limit=10)
    assert sorted(r.kind for r in again) == ["notice", "reply"]


async def test_settle_blocked_stops_the_chat_until_unblocked(queue_db: Database) -> None:
    async with queue_db.write() as conn:
        await enqueue(queue_db, conn, chat_id=5, text="uno")
        await enqueue(queue_db, conn, chat_id=5, text="dos")
    now = utcnow()
    async with queue_db.write() as conn:
        rows = await repo.claim(conn, owner="p", now=now, until=now + timedelta(seconds=5),
                                limit=1)
        s = repo.empty_settlement()
        s.blocked.append((rows[0].id, 5))
        await repo.settle(conn, s, now=now)
        await enqueue(queue_db, conn, chat_id=5, text="tres")
    async with queue_db.write() as conn:
        assert await repo.claim(conn, owner="p", now=now, until=now, limit=10) == []
        counts = await repo.message_counts(conn)
        await repo.unblock(conn, [5])
        await enqueue(queue_db, conn, chat_id=5, text="cuatro")
    assert counts == {"blocked": 3}
    async with queue_db.write() as conn:
        rows = await repo.claim(conn, owner="p", now=now, until=now, limit=10)
    assert [json.loads(r.params)["text"] for r in rows] == ["cuatro"]
