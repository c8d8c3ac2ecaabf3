"""YABOT's side of benchmarks/bus.py: one transport/backend configuration through every phase.

1. publish back to back (2,000 sequential publishes; relay and consumers stopped), then the
   rest of the pre-fill (concurrent publishes);
2. the relay alone drains the outbox into the transport;
3. the consumers alone handle the pre-filled events;
4. everything running, paced publishing (bus_load.paced).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import sqlalchemy as sa
from bus_load import WARMUP, Results, Sink, paced, produce, reaction
from pydantic import SecretStr

from yabot.domain.events import BaseEvent
from yabot.events.bus import BusConfig, EventBus
from yabot.events.handler_context import HandlerContext
from yabot.events.transports.base import Transport
from yabot.events.transports.memory import MemoryTransport
from yabot.events.transports.redis_streams import RedisStreamsConfig, create_redis_transport
from yabot.settings import RedisSettings
from yabot.storage.sql.database import Database
from yabot.storage.sql.migrate import migrate

PG_ADMIN = os.environ.get("YABOT_TEST_POSTGRES_URL") or "postgresql://postgres@127.0.0.1/postgres"


@contextlib.asynccontextmanager
async def pg_databases(a: argparse.Namespace) -> AsyncIterator[dict[str, str]]:
    """A throwaway PostgreSQL database per postgresql configuration, dropped at the end."""
    wanted = [c for c in a.configs if c.endswith("/postgresql")]
    urls: dict[str, str] = {}
    names: list[str] = []
    admin = None
    if wanted:
        try:
            admin = await asyncio.wait_for(asyncpg.connect(PG_ADMIN), 5)
        except Exception as exc:
            print(f"note: PostgreSQL not reachable ({type(exc).__name__}); skipped")
    try:
        for config in wanted if admin is not None else []:
            names.append(f"yabot_bench_{uuid.uuid4().hex[:10]}")
            await admin.execute(f'CREATE DATABASE "{names[-1]}"')
            urls[config] = sa.make_url(PG_ADMIN).set(
                drivername="postgresql+asyncpg", database=names[-1]).render_as_string(
                hide_password=False)
        yield urls
    finally:
        for name in names:
            with contextlib.suppress(Exception):
                await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')  # type: ignore[union-attr]
        if admin is not None:
            await admin.close()


def _transport(redis_url: str | None, prefix: str) -> Transport:
    if redis_url is None:
        return MemoryTransport(partitions=16)
    return create_redis_transport(RedisSettings(url=SecretStr(redis_url)), RedisStreamsConfig(
        stream_prefix=f"{prefix}:events", dead_stream=f"{prefix}:events:dead"))


async def bench_yabot(redis_url: str | None, db_url: str, prefix: str,
                      a: argparse.Namespace) -> Results:
    db = Database(db_url)
    await migrate(db)
    sink = Sink()
    transport = _transport(redis_url, prefix)  # one instance: memory keeps its log across

    async def handler(event: BaseEvent, ctx: HandlerContext) -> None:
        sink.hit(event.payload.metadata.get("t"))  # type: ignore[attr-defined]

    make = functools.partial(reaction, a.users)

    def new_bus() -> EventBus:
        bus = EventBus(db, transport, BusConfig())
        bus.add_subscriber("reaction_detected", handler, group="bench")
        return bus

    bus = new_bus()  # 1. pre-fill the outbox, relay and consumers stopped
    await bus.start(consume=False, relay=False)
    out = Results(pub=(await produce(2000, make, bus.publish))[0])
    await produce(a.n - 2000, make, bus.publish, tasks=16)
    await bus.stop()
    if redis_url is not None:  # memory: the relay feeds only consumers of its own process
        bus, t = new_bus(), asyncio.get_running_loop().time()  # 2. the relay alone
        await bus.start(consume=False)
        while await bus.outbox.backlog():
            await asyncio.sleep(0.005)
        out["relay"] = a.n / (asyncio.get_running_loop().time() - t)
        await bus.stop()
    bus, t = new_bus(), asyncio.get_running_loop().time()  # 3. the consumers on the backlog
    sink.reset(a.n)
    await bus.start(relay=redis_url is None)
    await sink.wait(300)
    out["consume"] = sink.count / (asyncio.get_running_loop().time() - t)
    await bus.stop()
    bus = new_bus()  # 4. everything running in one process, paced publishing
    await bus.start()
    out |= await paced(sink, make, bus.publish, a)
    await bus.stop()
    await db.dispose()
    return out


async def profile_yabot(redis_url: str, tmp: Path, a: argparse.Namespace) -> None:
    """pyinstrument over the event loop's thread while the concurrent producer offers the top
    rate to redis/sqlite with everything running."""
    from pyinstrument import Profiler

    db = Database(f"sqlite+aiosqlite:///{tmp / 'profile.db'}")
    await migrate(db)
    sink = Sink()

    async def handler(event: BaseEvent, ctx: HandlerContext) -> None:
        sink.hit(event.payload.metadata.get("t"))  # type: ignore[attr-defined]

    bus = EventBus(db, _transport(redis_url, "prof"), BusConfig())
    bus.add_subscriber("reaction_detected", handler, group="bench")
    await bus.start()
    make = functools.partial(reaction, a.users)
    sink.reset(WARMUP)
    await produce(WARMUP, make, bus.publish, tasks=8)
    await sink.wait(30)
    rate = max(a.rates)
    sink.reset(int(rate * a.seconds))
    profiler = Profiler(interval=0.0005, async_mode="disabled")
    profiler.start()
    _, achieved = await produce(sink.expected, make, bus.publish, rate, a.tasks)
    await sink.wait(30)
    profiler.stop()
    await bus.stop()
    await db.dispose()
    Path(a.profile).write_text(profiler.output_text(unicode=False, color=False, show_all=False))
    print(f"offered {rate}/s, achieved {achieved:,.0f}/s; profile in {a.profile}")
