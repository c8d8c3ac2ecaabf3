"""SQLite write paths side by side: SQLAlchemy's async engine per statement vs the one-hop
fast path (storage/sql/sqlite_direct.py). Prints only.

`.venv/bin/python benchmarks/sqlite_paths.py [--n 2000]`. Per transaction, p50/p99:
- outbox insert (one event: outbox row + event_log row), as `Outbox.add` in `Database.write()`
  vs `Outbox.add_own_transaction` (the writer thread, one hop);
- processed mark (one consumer-group mark): the statement through the engine vs one hop on
  the engine's connection (`execute`, as the bus does inside a handler's transaction) vs the
  whole transaction on the writer thread (`Database.transaction`).
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
from pathlib import Path

from yabot.domain.events import UserRegistered, UserRegisteredPayload
from yabot.events.bus import _marks
from yabot.events.outbox import Outbox
from yabot.storage.sql.database import Database, execute
from yabot.storage.sql.migrate import migrate

ROUND = 50


def _event() -> UserRegistered:
    return UserRegistered(user_id="42", payload=UserRegisteredPayload(telegram_user_id=42))


def _mark() -> dict[str, str]:
    return {"group": "bench", "e0": uuid.uuid4().hex}


async def _variants(db: Database) -> dict[str, dict[str, Callable[[], Awaitable[object]]]]:
    outbox = Outbox(db)
    mark = _marks("sqlite", 1)

    async def outbox_engine() -> None:
        async with db.write() as conn:
            await Outbox.add(conn, [_event()])

    async def mark_engine() -> None:
        async with db.write() as conn:
            await conn.execute(mark, _mark())

    async def mark_one_hop() -> None:
        async with db.write() as conn:
            await execute(conn, mark, _mark())

    async def mark_writer() -> None:
        values = _mark()
        await db.transaction(lambda s: s.execute(mark, values))

    return {
        "outbox insert": {"async engine, per statement": outbox_engine,
                          "writer thread, one hop": lambda: outbox.add_own_transaction(
                              [_event()])},
        "processed mark": {"async engine, per statement": mark_engine,
                           "engine tx, statement in one hop": mark_one_hop,
                           "writer thread, one hop": mark_writer},
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
    print(f"SQLite write paths, {n} transactions each, p50 / p99 in ms (ratio: p50 vs the "
          "async engine)")
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
    asyncio.run(main(parser.parse_args().n))
