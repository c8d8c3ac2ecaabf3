"""`yabot events dlq list|replay` on dead letters made by a real bus."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from yabot.domain.events import BaseEvent, ReactionDetected, ReactionDetectedPayload
from yabot.events.bus import BusConfig, EventBus
from yabot.events.dead_letter_queue import list_dead_letters
from yabot.events.handler_context import HandlerContext
from yabot.events.processor import ConsumerConfig
from yabot.events.transports.memory import MemoryTransport
from yabot.storage.sql.database import Database
from yabot.storage.sql.migrate import migrate
from yabot.storage.sql.tables import outbox


def yabot(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "DATABASE_URL"))}
    env["SQLITE_DATABASE_PATH"] = str(db)
    return subprocess.run([sys.executable, "-m", "yabot", "events", "dlq", *args],
                          capture_output=True, text=True, timeout=60, env=env, cwd=db.parent)


async def make_dead_letter(path: Path) -> str:
    db = Database(f"sqlite+aiosqlite:///{path}")
    await migrate(db)
    bus = EventBus(db, MemoryTransport(partitions=2), BusConfig(consumer=ConsumerConfig(
        max_deliveries=2, retry_base=0.001, retry_max=0.002, block_ms=20, claim_interval=0.05)))

    async def broken(event: BaseEvent, ctx: HandlerContext) -> None:
        raise LookupError("fragment missing")

    bus.add_subscriber("reaction_detected", broken, group="coordinator")
    await bus.start()
    event = ReactionDetected(user_id="77", payload=ReactionDetectedPayload(
        content_id="c", reaction_type="love"))
    await bus.publish(event)
    for _ in range(500):
        if await list_dead_letters(db):
            break
        await asyncio.sleep(0.01)
    await bus.stop()
    await db.dispose()
    return event.event_id


async def outbox_ids(path: Path) -> list[str]:
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        async with db.read() as conn:
            return list((await conn.execute(sa.select(outbox.c.event_id))).scalars())
    finally:
        await db.dispose()


async def test_list_and_replay_dead_letters(tmp_path: Path) -> None:
    path = tmp_path / "y.db"
    event_id = await make_dead_letter(path)

    listed = yabot(path, "list")
    assert listed.returncode == 0, listed.stderr
    line = next(ln for ln in listed.stdout.splitlines() if event_id in ln)
    assert "group=coordinator" in line and "attempts=2" in line and "fragment missing" in line
    letter_id = line.split("\t")[0]

    replayed = yabot(path, "replay", letter_id)
    assert replayed.returncode == 0, replayed.stderr
    assert await outbox_ids(path) == [event_id]
    again = yabot(path, "replay", letter_id)
    assert again.returncode == 1
    assert "already replayed" in again.stderr
    assert yabot(path, "replay", "--all").returncode == 0
    assert await outbox_ids(path) == [event_id]
    assert event_id not in yabot(path, "list").stdout
    assert event_id in yabot(path, "list", "--all").stdout
    assert yabot(path, "replay").returncode == 2
