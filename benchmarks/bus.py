"""Event bus latency and throughput: YABOT's bus next to raw redis-py and faststream.

    .venv/bin/python benchmarks/bus.py [--n 20000] [--rate 2000] [--low-rate 100] [--seconds 5]

One run, one private redis-server (free port, no persistence, own --dir, killed at the end),
SQLite in the same temp dir. Handlers only record in memory, so YABOT's figures are the bus's
own cost (outbox, relay, `processed_events`). Prints, never asserts (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

from faststream.redis import RedisBroker, StreamSub
from pydantic import SecretStr
from redis.asyncio import Redis

from yabot.domain.events import BaseEvent, ReactionDetected, ReactionDetectedPayload
from yabot.events.bus import BusConfig, EventBus, HandlerContext
from yabot.events.transports.redis_streams import create_redis_transport
from yabot.logging import configure_logging
from yabot.settings import LogSettings, RedisSettings
from yabot.storage.sql.database import Database
from yabot.storage.sql.migrate import migrate

PUB_TARGET_MS, SEED_PUB_MS, E2E_TARGET_MS = 1.0, 10.0, 10.0
BASE_ID, WARMUP = 100_000, 200
now = time.perf_counter
Make = Callable[[int, float], Any]  # (i, publish timestamp) -> what gets published
Publish = Callable[[Any], Awaitable[Any]]
Results = dict[str, Any]


def start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir),
         "--save", "", "--appendonly", "no", "--logfile", str(workdir / "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(500):
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1) as c:
            c.sendall(b"PING\r\n")
            if c.recv(16).startswith(b"+PONG"):
                return proc, f"redis://127.0.0.1:{port}/0"
        time.sleep(0.02)
    proc.kill()
    raise RuntimeError(f"redis-server did not start; see {workdir / 'redis.log'}")


def pct(xs: list[float], q: float) -> float:
    """q-quantile of durations in seconds, in ms."""
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))] * 1000 if s else float("nan")


class Sink:
    """What every handler does: count, and keep publish -> handler latency when stamped."""

    def __init__(self) -> None:
        self.reset(0)

    def reset(self, expected: int) -> None:
        self.expected, self.count, self.lat, self.done = expected, 0, [], asyncio.Event()

    def hit(self, t: float | None) -> None:
        if t is not None:
            self.lat.append(now() - t)
        self.count += 1
        if self.count >= self.expected:
            self.done.set()

    async def wait(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.done.wait(), timeout)
        if self.count < self.expected:
            print(f"  ! only {self.count}/{self.expected} handled after {timeout:.0f} s")


def reaction(users: int, i: int, t: float) -> ReactionDetected:
    return ReactionDetected(user_id=str(BASE_ID + i % users), payload=ReactionDetectedPayload(
        content_id=f"msg-{i}", reaction_type="like", metadata={"t": t}))


async def timed(n: int, make: Make, publish: Publish, rate: float = 0) -> tuple[list[float], float]:
    """Publish n items from one producer, item i at start + i/rate (rate 0: back to back; at
    once when behind), each stamped with perf_counter just before its publish call.
    Returns the latency of each publish call and the rate achieved."""
    lats, start = [], now()
    for i in range(n):
        if rate and (delay := start + i / rate - now()) > 0:
            await asyncio.sleep(delay)
        item = make(i, t := now())
        await publish(item)
        lats.append(now() - t)
    return lats, n / (now() - start)


async def paced(sink: Sink, make: Make, publish: Publish, a: argparse.Namespace) -> Results:
    """Warm up, then publish at each rate and wait for the handlers."""
    sink.reset(WARMUP)
    await timed(WARMUP, make, publish)
    await sink.wait(30)
    out = Results()
    for rate in (a.low_rate, a.rate):
        sink.reset(int(rate * a.seconds))
        lats, achieved = await timed(sink.expected, make, publish, rate)
        await sink.wait(60)
        out |= {f"pub@{rate}": lats, f"e2e@{rate}": sink.lat, f"rate@{rate}": achieved}
    return out


async def bench_yabot(url: str, tmp: Path, a: argparse.Namespace) -> Results:
    db = Database(f"sqlite+aiosqlite:///{tmp / 'bus.db'}")
    await migrate(db)
    sink = Sink()

    async def handler(event: BaseEvent, ctx: HandlerContext) -> None:
        sink.hit(event.payload.metadata.get("t"))  # type: ignore[attr-defined]

    make = functools.partial(reaction, a.users)

    def new_bus() -> EventBus:
        bus = EventBus(db, create_redis_transport(RedisSettings(url=SecretStr(url))), BusConfig())
        bus.add_subscriber("reaction_detected", handler, group="bench")
        return bus

    bus = new_bus()  # 1. pre-fill the outbox, relay and consumers stopped
    await bus.start(consume=False, relay=False)
    out = Results(pub=(await timed(a.n, make, bus.publish))[0])
    await bus.stop()
    bus, t = new_bus(), now()  # 2. the relay alone: outbox -> streams
    await bus.start(consume=False)
    while await bus.outbox.backlog():
        await asyncio.sleep(0.005)
    out["relay"] = a.n / (now() - t)
    await bus.stop()
    bus, t = new_bus(), now()  # 3. the consumers alone on N pre-filled events
    sink.reset(a.n)
    await bus.start(relay=False)
    await sink.wait(300)
    out["consume"] = sink.count / (now() - t)
    await bus.stop()
    bus = new_bus()  # 4. everything running in one process, paced publishing
    await bus.start()
    out |= await paced(sink, make, bus.publish, a)
    await bus.stop()
    await db.dispose()
    return out


async def bench_raw(url: str, a: argparse.Namespace) -> Results:
    r = Redis.from_url(url, decode_responses=True)
    fields = {"event_id": "0" * 32, "event_type": "reaction_detected", "key": str(BASE_ID),
              "data": reaction(a.users, 0, now()).to_json()}
    out = Results(pub=(await timed(a.n, lambda i, t: fields, lambda f: r.xadd("raw:lat", f)))[0])
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
    out = Results(pub=(await timed(a.n, make, publisher.publish))[0])
    sink.reset(a.n)
    t = now()
    await broker.start()
    await sink.wait(300)
    out["consume"] = sink.count / (now() - t)
    out |= await paced(sink, make, publisher.publish, a)
    await broker.stop()
    return out


def report(res: dict[str, Results], a: argparse.Namespace) -> None:
    def cell(r: Results, key: str) -> str:
        if key not in r:
            return "-"
        if isinstance(r[key], list):
            return f"{pct(r[key], 0.5):.3f} / {pct(r[key], 0.99):.3f}"
        return f"{r[key]:,.0f}"

    rows = [("publish back to back, p50 / p99 ms", "pub")]
    for rate in (a.low_rate, a.rate):
        rows += [(f"publish at {rate:,}/s, p50 / p99 ms", f"pub@{rate}"),
                 (f"publish -> handler at {rate:,}/s, p50 / p99 ms", f"e2e@{rate}"),
                 (f"  rate achieved (of {rate:,}/s)", f"rate@{rate}")]
    rows += [(f"consume {a.n:,} pre-filled, events/s", "consume"),
             ("relay outbox -> streams, events/s", "relay")]
    print(f"\n{'':46}" + "".join(f"{name:>18}" for name in res))
    for label, key in rows:
        print(f"{label:46}" + "".join(f"{cell(r, key):>18}" for r in res.values()))
    print("\nraw redis-py: sequential XADD; XREADGROUP COUNT 100 + one XACK per batch (the limit)\n"
          "faststream:   StreamSub(group, consumer) defaults: one XACK per message\n"
          "YABOT:        16 partitions, batches of 100, one SQLite transaction per batch")
    yb, fs, raw = res["YABOT"], res["faststream"], res["raw redis-py"]
    print(f"\nYABOT consume / faststream consume: {yb['consume'] / fs['consume']:.2f}x "
          f"(/ raw redis-py limit: {yb['consume'] / raw['consume']:.3f}x)")
    for what, key, targets in (("publish", "pub", (PUB_TARGET_MS, SEED_PUB_MS)),
                               ("publish -> handler", "e2e", (E2E_TARGET_MS,))):
        for rate in (a.rate, a.low_rate):
            p99 = pct(yb[f"{key}@{rate}"], 0.99)
            print(f"YABOT {what} p99 at {rate:,}/s: {p99:.3f} ms; " + ", ".join(
                f"{x} ms target {'met' if p99 <= x else 'NOT met'}" for x in targets))


async def main(url: str, tmp: Path, a: argparse.Namespace) -> None:
    configure_logging(LogSettings(level="WARNING"))
    res = {"raw redis-py": await bench_raw(url, a), "faststream": await bench_faststream(url, a),
           "YABOT": await bench_yabot(url, tmp, a)}  # distinct keys: no flush needed between
    report(res, a)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Event bus: YABOT vs redis-py vs faststream.")
    parser.add_argument("--n", type=int, default=20_000, help="pre-filled events to consume")
    parser.add_argument("--users", type=int, default=1000, help="users the events spread over")
    parser.add_argument("--rate", type=int, default=2000, help="paced publish rate, events/s")
    parser.add_argument("--low-rate", type=int, default=100, help="a second, light paced rate")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each paced run")
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        sys.exit("redis-server not found: apt-get install redis-server")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still stop redis-server
    tmp_dir = Path(tempfile.mkdtemp(prefix="yabot-bus-bench-"))
    server, redis_url = start_redis(tmp_dir)
    server_version = subprocess.check_output(["redis-server", "-v"], text=True).split()[2]
    print(f"redis-server {server_version}, redis-py {version('redis')}, faststream "
          f"{version('faststream')}, {os.cpu_count()} cpus; n={args.n} users={args.users} "
          f"rates={args.low_rate},{args.rate}/s x {args.seconds} s; load average {load()}")
    try:
        asyncio.run(main(redis_url, tmp_dir, args))
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(tmp_dir, ignore_errors=True)
    print(f"load average after: {load()}")
