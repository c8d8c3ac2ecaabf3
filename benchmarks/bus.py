"""Event bus latency and throughput: YABOT's bus next to raw redis-py and faststream.

    .venv/bin/python benchmarks/bus.py [--n 20000] [--rates 100,1000,2000] [--seconds 3]
        [--tasks 64] [--configs redis/sqlite,...] [--profile FILE]

One run, one private redis-server (free port, no persistence, own --dir, killed at the end).
YABOT runs on the memory and the Redis transport, each on SQLite (a file in the temp dir)
and on PostgreSQL (a throwaway database, dropped at the end; skipped if unreachable).
Handlers only record in memory, so YABOT's figures are the bus's own cost (outbox, relay,
`processed_events`). Prints, never asserts (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bus_load import (  # the sibling modules: run as a script
    BASE_ID,
    Results,
    Sink,
    load,
    now,
    paced,
    produce,
    reaction,
    start_redis,
)
from bus_report import report
from bus_yabot import bench_yabot, pg_databases, profile_yabot
from faststream.redis import RedisBroker, StreamSub
from redis.asyncio import Redis

from yabot.logs import configure_logging
from yabot.settings import LogSettings


async def bench_raw(url: str, a: argparse.Namespace) -> Results:
    r = Redis.from_url(url, decode_responses=True)
    fields = {"event_id": "0" * 32, "event_type": "reaction_detected", "key": str(BASE_ID),
              "data": reaction(a.users, 0, now()).to_json()}
    out = Results(pub=(await produce(2000, lambda i, t: fields,
                                     lambda f: r.xadd("raw:lat", f)))[0])
    pipe = r.pipeline(transaction=False)
    for _ in range(a.n):
        pipe.xadd("raw:tput", fields)  # type: ignore[arg-type]
    await pipe.execute()
    await r.xgroup_create("raw:tput", "bench", id="0")
    done, t = 0, now()
    while done < a.n:
        reply = await r.xreadgroup("bench", "c1", {"raw:tput": ">"}, count=100, block=1000)
        ids = [i for _stream, entries in reply for i, _fields in entries]
        await r.xack("raw:tput", "bench", *ids)
        done += len(ids)
    out["consume"] = done / (now() - t)
    await r.aclose()
    return out


async def bench_faststream(url: str, a: argparse.Namespace) -> Results:
    broker = RedisBroker(url, logger=None)  # no per-message log lines, as quiet as YABOT
    sink = Sink()

    @broker.subscriber(stream=StreamSub("fs:bench", group="bench", consumer="c1"))
    async def handler(body: dict[str, Any]) -> None:
        sink.hit(body["payload"]["metadata"]["t"])

    def make(i: int, t: float) -> dict[str, Any]:
        return reaction(a.users, i, t).model_dump(mode="json")  # the same JSON as YABOT's

    publisher = broker.publisher(stream="fs:bench")
    await broker.connect()
    raw = Redis.from_url(url)  # group at 0 first: faststream's own starts at "$" (new only)
    await raw.xgroup_create("fs:bench", "bench", id="0", mkstream=True)
    await raw.aclose()
    out = Results(pub=(await produce(2000, make, publisher.publish))[0])
    await produce(a.n - 2000, make, publisher.publish, tasks=16)  # the rest of the pre-fill
    sink.reset(a.n)
    t = now()
    await broker.start()
    await sink.wait(300)
    out["consume"] = sink.count / (now() - t)
    out |= await paced(sink, make, publisher.publish, a)
    await broker.stop()
    return out


async def main(url: str, tmp: Path, a: argparse.Namespace) -> None:
    configure_logging(LogSettings(level="WARNING"))
    async with pg_databases(a) as pg_urls:
        if a.profile:
            await profile_yabot(url, tmp, a)
            return
        res = {"raw redis-py": await bench_raw(url, a)}
        res["faststream"] = await bench_faststream(url, a)
        for k, config in enumerate(a.configs):
            transport, backend = config.split("/")
            db_url = (f"sqlite+aiosqlite:///{tmp / f'bus{k}.db'}" if backend == "sqlite"
                      else pg_urls.get(config))
            if db_url is None:
                continue
            print(f"  {config} ... (load {load()})", flush=True)
            res[f"YABOT {config}"] = await bench_yabot(
                url if transport == "redis" else None, db_url, f"yb{k}", a)
    report(res, a)


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Event bus: YABOT vs redis-py vs faststream.")
    p.add_argument("--n", type=int, default=20_000, help="pre-filled events to consume")
    p.add_argument("--users", type=int, default=1000, help="users the events spread over")
    p.add_argument("--rates", default="100,1000,2000", help="paced rates, events/s")
    p.add_argument("--seconds", type=float, default=3.0, help="length of each paced run")
    p.add_argument("--tasks", type=int, default=64, help="tasks of the concurrent producer")
    p.add_argument("--max-rate", type=float, default=12_000, help="highest rate to try")
    p.add_argument("--configs", default="memory/sqlite,memory/postgresql,redis/sqlite,"
                   "redis/postgresql", help="YABOT transport/backend pairs")
    p.add_argument("--profile", help="only profile redis/sqlite at the top rate (pyinstrument)"
                   " and write the text report to this file")
    a = p.parse_args()
    a.rates = [int(r) for r in a.rates.split(",")]
    a.configs = a.configs.split(",")
    return a


if __name__ == "__main__":
    args = parse()
    if shutil.which("redis-server") is None:
        sys.exit("redis-server not found: apt-get install redis-server")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still stop redis-server
    tmp_dir = Path(tempfile.mkdtemp(prefix="yabot-bus-bench-"))
    server, redis_url = start_redis(tmp_dir)
    server_version = subprocess.check_output(["redis-server", "-v"], text=True).split()[2]
    print(f"redis-server {server_version}, redis-py {version('redis')}, faststream "
          f"{version('faststream')}, {os.cpu_count()} cpus; n={args.n} users={args.users} "
          f"rates={args.rates}/s x {args.seconds} s, {args.tasks} producer tasks; "
          f"load average {load()}", flush=True)
    try:
        asyncio.run(main(redis_url, tmp_dir, args))
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(tmp_dir, ignore_errors=True)
    print(f"load average after: {load()}")
