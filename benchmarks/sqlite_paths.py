"""SQLite write paths side by side: SQLAlchemy's async engine (aiosqlite) per statement vs
our own threads (storage/sql/sqlite_direct.py, sqlite_connection.py). Prints only.

`.venv/bin/python benchmarks/sqlite_paths.py [--n 2000]`. Per transaction, p50/p99:
- outbox insert (one event: outbox row + event_log row): through the async engine, through
  `Database.write()` (the writer thread, one hop per statement), and as
  `Outbox.add_own_transaction` (the whole transaction in one hop);
- processed mark (one consumer-group mark): the same three ways;
- the hop itself (a call that does nothing): `loop.run_in_executor` on a one-thread
  executor vs `WorkerThread.call` (storage/sql/worker_thread.py).
The variants run interleaved in rounds, so load drift hits them alike.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import uvloop

from yabot.domain.events import UserRegistered, UserRegisteredPayload
from yabot.events.bus import _marks
from yabot.events.outbox import Outbox
from yabot.storage.sql.database import Database, execute
from yabot.storage.sql.migrate import migrate
from yabot.storage.sql.worker_thread import WorkerThread

ROUND = 50


def _event() -> UserRegistered:
    return UserRegistered(user_id="42", payload=UserRegisteredPayload(telegram_user_id=42))


def _mark() -> dict[str, str]:
    return {"group": "bench", "e0": uuid.uuid4().hex}


async def _variants(db: Database) -> dict[str, dict[str, Callable[[], Awaitable[object]]]]:
    outbox = Outbox(db)
    mark = _marks("sqlite", 1)
    executor = ThreadPoolExecutor(max_workers=1)
    worker = WorkerThread("bench-hop")

    async def outbox_engine() -> None:
        async with db.engine.begin() as conn:
            await Outbox.add(conn, [_event()])

    async def outbox_write() -> None:
        async with db.write() as conn:
            await Outbox.add(conn, [_event()])

    async def mark_engine() -> None:
        async with db.engine.begin() as conn:
            await conn.execute(mark, _mark())

    async def mark_write() -> None:
        async with db.write() as conn:
            await execute(conn, mark, _mark())

    async def mark_writer() -> None:
        values = _mark()
        await db.transaction(lambda s: s.execute(mark, values))

    async def hop_executor() -> None:
        await asyncio.get_running_loop().run_in_executor(executor, int)

    async def hop_worker() -> None:
        await worker.call(int)

    return {
        "outbox insert": {"async engine, per statement": outbox_engine,
                          "db.write(), a hop per statement": outbox_write,
                          "db.transaction, one hop": lambda: outbox.add_own_transaction(
                              [_event()])},
        "processed mark": {"async engine, per statement": mark_engine,
                           "db.write(), a hop per statement": mark_write,
                           "db.transaction, one hop": mark_writer},
        "thread hop": {"run_in_executor": hop_executor, "WorkerThread.call": hop_worker},
    }


async def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await migrate(db)
        variants = await _variants(db)
        times: dict[tuple[str, str], list[float]] = {
            (case, name): [] for case, named in variants.items() for name in named}
        for fn in (f for named in variants.values() for f in named.values()):
            for _ in range(ROUND):  # warm up: connections, compiled statements
                await fn()
        for _ in range(max(1, n // ROUND)):
            for case, named in variants.items():
                for name, fn in named.items():
                    for _ in range(ROUND):
                        start = time.perf_counter()
                        await fn()
                        times[case, name].append(time.perf_counter() - start)
        await db.dispose()
    print(f"SQLite write paths, {n} calls each, p50 / p99 in ms (ratio: the first "
          "variant's p50 over this one's)")
    for case, named in variants.items():
        base = statistics.median(times[case, next(iter(named))])
        for name in named:
            samples = sorted(times[case, name])
            p50 = statistics.median(samples)
            p99 = samples[int(len(samples) * 0.99) - 1]
            print(f"  {case:15} {name:33} p50 {p50 * 1000:6.3f}  p99 {p99 * 1000:6.3f}"
                  f"  x{base / p50:4.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    uvloop.run(main(parser.parse_args().n))  # as `yabot` runs
