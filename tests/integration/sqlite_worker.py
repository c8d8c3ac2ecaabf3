"""A separate OS process for the multi-process SQLite tests (run as a script, not collected).

    python sqlite_worker.py write DB_PATH WORKER_ID TRANSACTIONS [CONCURRENCY]
    python sqlite_worker.py migrate DB_PATH

It builds its `Database`, prints `ready`, waits for one line on stdin (so the test can
release several processes at the same moment), does its work and prints one JSON line.
Any exception goes to stderr with a non-zero exit code.
"""

from __future__ import annotations

import asyncio
import json
import sys

import sqlalchemy as sa

from yabot.storage.sql import tables
from yabot.storage.sql.database import Database
from yabot.storage.sql.migrate import current_revision, migrate


def _url(path: str) -> str:
    return f"sqlite+aiosqlite:///{path}"


def _wait_for_go() -> None:
    print("ready", flush=True)
    sys.stdin.readline()


async def _one_write(db: Database, worker: int, n: int) -> None:
    """Read, then write, then read again, all in one transaction."""
    mine = tables.user_profiles.c.user_id.like(f"w{worker}-%")
    count = sa.select(sa.func.count()).select_from(tables.user_profiles).where(mine)
    async with db.write() as conn:
        before = (await conn.execute(count)).scalar_one()
        await conn.execute(tables.user_profiles.insert().values(
            user_id=f"w{worker}-{n}", telegram_user_id=2**40 + worker * 1_000_000 + n,
            username=f"w{worker}", first_name="Ana", language_code="es"))
        after = (await conn.execute(count)).scalar_one()
        if after != before + 1:
            raise AssertionError(f"transaction not isolated: {before} -> {after}")


async def _write(path: str, worker: int, transactions: int, concurrency: int) -> dict[str, int]:
    db = Database(_url(path))
    try:
        async with db.write():  # open the writer connection before the start signal
            pass
        await db.ping()
        await asyncio.to_thread(_wait_for_go)

        todo = iter(range(transactions))
        reads = 0

        async def writer() -> None:
            for n in todo:
                await _one_write(db, worker, n)

        async def reader() -> None:  # readers run beside the writers on their own connections
            nonlocal reads
            while not writers_done.is_set():
                async with db.read() as conn:
                    await conn.execute(sa.select(sa.func.count()).select_from(
                        tables.user_profiles))
                reads += 1
                await asyncio.sleep(0)

        writers_done = asyncio.Event()
        read_task = asyncio.create_task(reader())
        try:
            await asyncio.gather(*(writer() for _ in range(concurrency)))
        finally:
            writers_done.set()
            await read_task
        async with db.read() as conn:
            mine = (await conn.execute(
                sa.select(sa.func.count()).select_from(tables.user_profiles)
                .where(tables.user_profiles.c.user_id.like(f"w{worker}-%")))).scalar_one()
        return {"worker": worker, "written": int(mine), "reads": reads}
    finally:
        await db.dispose()


async def _migrate(path: str) -> dict[str, str | None]:
    db = Database(_url(path))
    try:
        await asyncio.to_thread(_wait_for_go)
        before, after = await migrate(db)
        return {"before": before, "after": after, "current": await current_revision(db)}
    finally:
        await db.dispose()


def main(argv: list[str]) -> int:
    mode, path = argv[0], argv[1]
    if mode == "write":
        concurrency = int(argv[4]) if len(argv) > 4 else 1
        result: dict[str, object] = dict(
            asyncio.run(_write(path, int(argv[2]), int(argv[3]), concurrency)))
    elif mode == "migrate":
        result = dict(asyncio.run(_migrate(path)))
    else:
        print(f"unknown mode {mode!r}", file=sys.stderr)
        return 2
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
