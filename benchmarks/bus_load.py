"""Load generation for benchmarks/bus.py: producers, the handler sink, paced runs.

Two producers publish event i at `start + i/rate` (at once when behind), each event stamped
with perf_counter just before its publish call:
- sequential: one task, one publish after the other;
- concurrent: `tasks` tasks share the schedule, as a web server's requests would publish
  (each request publishes and waits for its own commit).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import socket
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from yabot.domain.events import ReactionDetected, ReactionDetectedPayload

BASE_ID, WARMUP = 100_000, 200
now = time.perf_counter
Make = Callable[[int, float], Any]  # (i, publish timestamp) -> what gets published
Publish = Callable[[Any], Awaitable[Any]]
Results = dict[str, Any]


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


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

    async def wait(self, timeout: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.done.wait(), timeout)
        return self.count >= self.expected


def reaction(users: int, i: int, t: float) -> ReactionDetected:
    return ReactionDetected(user_id=str(BASE_ID + i % users), payload=ReactionDetectedPayload(
        content_id=f"msg-{i}", reaction_type="like", metadata={"t": t}))


async def produce(n: int, make: Make, publish: Publish, rate: float = 0,
                  tasks: int = 1) -> tuple[list[float], float]:
    """Publish n items on the paced schedule from `tasks` tasks; (publish latencies, rate
    achieved)."""
    lats: list[float] = []
    counter = itertools.count()
    start = now()

    async def worker() -> None:
        while (i := next(counter)) < n:
            if rate and (delay := start + i / rate - now()) > 0:
                await asyncio.sleep(delay)
            item = make(i, t := now())
            await publish(item)
            lats.append(now() - t)

    await asyncio.gather(*(worker() for _ in range(tasks)))
    return lats, n / (now() - start)


async def paced(sink: Sink, make: Make, publish: Publish, a: argparse.Namespace) -> Results:
    """Warm up; then every rate with the sequential and the concurrent producer; then the
    highest rate the concurrent producer sustains."""
    sink.reset(WARMUP)
    await produce(WARMUP, make, publish, tasks=8)
    await sink.wait(30)
    out = Results()
    for mode, tasks in (("seq", 1), ("conc", a.tasks)):
        for rate in a.rates:
            sink.reset(int(rate * a.seconds))
            lats, achieved = await produce(sink.expected, make, publish, rate, tasks)
            await sink.wait(60)
            out |= {f"{mode}:pub@{rate}": lats, f"{mode}:e2e@{rate}": sink.lat,
                    f"{mode}:rate@{rate}": achieved}
    out["max"] = await highest_rate(sink, make, publish, a)
    return out


async def highest_rate(sink: Sink, make: Make, publish: Publish, a: argparse.Namespace) -> float:
    """The highest offered rate (steps of 1.25x from the top paced rate) that the concurrent
    producer achieved to 95 % and whose handlers caught up within 1 s; 0 if none."""
    best, rate = 0.0, float(max(a.rates))
    while rate <= a.max_rate:
        sink.reset(int(rate * 2))
        _, achieved = await produce(sink.expected, make, publish, rate, a.tasks)
        caught_up = await sink.wait(1.0)
        if achieved < 0.95 * rate or not caught_up:
            await sink.wait(30)  # let the backlog drain before the next system runs
            break
        best, rate = achieved, rate * 1.25
    return best
