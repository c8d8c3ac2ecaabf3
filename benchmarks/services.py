"""Domain services end to end: create_user, get_user_context, process_choice and a reaction
award (publish -> `besitos_awarded` handled), on the default stack and on PostgreSQL +
MongoDB (nx-27017) + Redis Streams, in one run (prints only).

`.venv/bin/python benchmarks/services.py [--n 300]`. Both stacks are built with
`start_core` as `yabot run` builds them and run side by side; each operation is timed
in interleaved rounds so load drift on a noisy machine hits both alike.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).parent))
from bus_load import pct, start_redis
from stores import PG_ADMIN, pg_admin, start_nx

from yabot.core import Core, start_core, stop_core
from yabot.domain.events import BaseEvent
from yabot.domain.views import TelegramUser
from yabot.events.handler_context import HandlerContext
from yabot.logs import configure_logging
from yabot.settings import (
    JwtSettings,
    LogSettings,
    RedisSettings,
    Settings,
    StorageSettings,
)

DEFAULT, SCALED = "default (sqlite+embedded+memory)", "postgresql+mongodb+redis"
OPS = ("create_user", "get_user_context", "process_choice", "reaction award e2e")
now = time.perf_counter


class Awards:
    """A bench subscriber on `besitos_awarded`: wakes the waiter of that user's reaction."""

    def __init__(self) -> None:
        self.waiting: dict[str, asyncio.Future[float]] = {}

    async def handle(self, event: BaseEvent, _ctx: HandlerContext) -> None:
        future = self.waiting.pop(event.user_id or "", None)
        if future is not None and not future.done():
            future.set_result(now())


def settings_for(tmp: Path, *, pg_url: str | None = None, mongo: str | None = None,
                 redis: str | None = None) -> Settings:
    return Settings.of(
        storage=StorageSettings(
            sqlite_database_path=tmp / "yabot.db",
            database_url=SecretStr(pg_url) if pg_url else None,
            mongodb_uri=SecretStr(mongo) if mongo else None,
            mongodb_database=f"bench_{uuid.uuid4().hex[:8]}"),
        redis=RedisSettings(url=SecretStr(redis) if redis else None),
        jwt=JwtSettings(algorithm="HS256", secret=SecretStr("x" * 32)),
        log=LogSettings(level="WARNING"))


class Stack:
    def __init__(self, services: Core, awards: Awards, base: int) -> None:
        self.s, self.awards, self.next_id, self.users = services, awards, base, []

    async def create_user(self) -> None:
        self.next_id += 1
        await self.s.domain.users.create_user(TelegramUser(
            id=self.next_id, username=f"u{self.next_id}", first_name="Ana", language_code="es"))
        self.users.append(str(self.next_id))

    def user(self, i: int) -> str:
        return self.users[i % len(self.users)]

    async def get_user_context(self, i: int) -> None:
        await self.s.domain.users.get_user_context(self.user(i))

    async def process_choice(self, i: int) -> float:
        user = self.user(i)
        await self.s.domain.narrative.start(user)  # untimed: back on fragment_001
        start = now()
        outcome = await self.s.domain.narrative.process_choice(user, "choice_a")
        assert outcome.fragment.fragment_id == "forest_001", outcome
        return now() - start

    async def reaction(self, i: int) -> float:
        user = self.user(i)
        future = self.awards.waiting[user] = asyncio.get_running_loop().create_future()
        start = now()
        await self.s.domain.coordinator.record_reaction(
            user, chat_id=-1, message_id=10_000_000 + i, reaction_type="❤")
        return await asyncio.wait_for(future, 30) - start


async def build(label: str, settings: Settings, base: int) -> Stack:
    services = await start_core(settings)
    awards = Awards()
    services.bus.add_subscriber("besitos_awarded", awards.handle, group="bench")
    await services.bus.start()
    services.domain.coordinator.start()
    print(f"  {label}: ready")
    return Stack(services, awards, base)


async def timed(fn: Callable[[], Awaitable[object]]) -> float:
    start = now()
    inner = await fn()
    return inner if isinstance(inner, float) else now() - start


async def main(a: argparse.Namespace) -> None:
    configure_logging(LogSettings(level="WARNING"))
    tmp = Path(tempfile.mkdtemp(prefix="yabot-bench-services-"))
    procs, stacks, pg_db = [], {}, f"bench_{uuid.uuid4().hex[:8]}"
    try:
        nx, mongo = start_nx(tmp)
        redis_proc, redis_url = start_redis(tmp)
        procs += [nx, redis_proc]
        await pg_admin(f'CREATE DATABASE "{pg_db}"')
        pg_url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        (tmp / "d").mkdir()
        (tmp / "s").mkdir()
        stacks[DEFAULT] = await build(DEFAULT, settings_for(tmp / "d"), 500_000_000)
        stacks[SCALED] = await build(SCALED, settings_for(
            tmp / "s", pg_url=f"{pg_url}/{pg_db}", mongo=mongo, redis=redis_url), 600_000_000)
        samples: dict[tuple[str, str], list[float]] = {(c, o): [] for c in stacks for o in OPS}
        per_round = max(1, a.n // a.rounds)
        for r in range(a.rounds + 1):  # round 0 warms up pools and caches, untimed
            for label, st in (list(stacks.items())[::-1] if r % 2 else stacks.items()):
                runs: dict[str, Callable[[int], Awaitable[object]]] = {
                    "create_user": lambda _i, st=st: st.create_user(),
                    "get_user_context": st.get_user_context,
                    "process_choice": st.process_choice,
                    "reaction award e2e": st.reaction}
                for op, run in runs.items():
                    for i in range(per_round):
                        took = await timed(lambda run=run, i=i + r * per_round: run(i))
                        if r:
                            samples[label, op].append(took)
        load = os.getloadavg()
        report(samples, f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, load "
               f"{load[0]:.2f}/{load[1]:.2f}, {per_round * a.rounds} timed ops per cell in "
               f"{a.rounds} interleaved rounds, one caller at a time")
    finally:
        for st in stacks.values():
            with contextlib.suppress(Exception):
                await stop_core(st.s, bus_started=True)
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)
        with contextlib.suppress(Exception):
            await pg_admin(f'DROP DATABASE IF EXISTS "{pg_db}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)


def report(samples: dict[tuple[str, str], list[float]], conditions: str) -> None:
    print(f"\n{conditions}\n")
    print(f"| operation | {DEFAULT}: ops/s, p50, p99 (ms) | {SCALED}: ops/s, p50, p99 (ms) "
          "| p50 ratio |")
    print("|---|---|---|---:|")
    for op in OPS:
        cells, p50s = [], []
        for label in (DEFAULT, SCALED):
            xs = samples[label, op]
            p50s.append(pct(xs, 0.5))
            cells.append(f"{len(xs) / sum(xs):,.0f}/s, {pct(xs, 0.5):.2f}, {pct(xs, 0.99):.2f}")
        print(f"| {op} | {cells[0]} | {cells[1]} | {p50s[1] / p50s[0]:.1f}x |")
    print("\nops/s = 1 / mean latency of sequential calls; reaction award e2e = "
          "record_reaction() until the bench subscriber handles its besitos_awarded")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="timed operations per cell")
    parser.add_argument("--rounds", type=int, default=5, help="interleaving rounds")
    asyncio.run(main(parser.parse_args()))
