"""The drills' faults: what each one breaks, on which stores, for how long."""

from __future__ import annotations

import json
import signal
import threading
import time
import urllib.request
from argparse import Namespace
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from load_env import SECRET, Backend, Sink

Action = Callable[[Backend, list[Any], Sink, Namespace], None]


@dataclass(frozen=True, kw_only=True)
class Drill:
    name: str
    fault: str
    action: Action
    backend: str = "embedded"
    processes: int = 1
    private_pg: bool = False
    mongo: bool = False
    env: dict[str, str] = field(default_factory=dict)

    def inject(self, backend: Backend, procs: list[Any], sink: Sink, args: Namespace) -> None:
        self.action(backend, procs, sink, args)


def kill9(_b: Backend, procs: list[Any], _s: Sink, _a: Namespace) -> None:
    """The fault is the kill; the restart (at once, as a supervisor would) is recovery."""
    procs[0].proc.send_signal(signal.SIGKILL)
    procs[0].proc.wait()
    threading.Thread(target=procs[0].start, daemon=True).start()


def redis_stop(backend: Backend, _p: list[Any], _s: Sink, _a: Namespace) -> None:
    backend.redis.send_signal(signal.SIGSTOP)  # type: ignore[union-attr]
    time.sleep(30)
    backend.redis.send_signal(signal.SIGCONT)  # type: ignore[union-attr]


def redis_kill(backend: Backend, _p: list[Any], _s: Sink, _a: Namespace) -> None:
    backend.kill_redis()
    time.sleep(5)
    backend.start_redis()  # same port, empty: no persistence


def process_stop(_b: Backend, procs: list[Any], _s: Sink, _a: Namespace) -> None:
    procs[0].proc.send_signal(signal.SIGSTOP)
    time.sleep(40)  # past the partition, relay and scheduler leases
    procs[0].proc.send_signal(signal.SIGCONT)


def postgres_restart(backend: Backend, _p: list[Any], _s: Sink, _a: Namespace) -> None:
    backend.postgres("restart")


def mongo_stop(backend: Backend, _p: list[Any], _s: Sink, _a: Namespace) -> None:
    backend.kill_mongo()
    time.sleep(10)
    backend.start_mongo()  # same port and data directory


POISON_USER = 2**63 + 5  # valid JSON and a valid Update, but no store takes this id


def poison(_b: Backend, procs: list[Any], _s: Sink, _a: Namespace) -> None:
    update = {"update_id": 9_000_000_000, "message": {
        "message_id": 1, "date": int(time.time()), "text": "/start",
        "chat": {"id": POISON_USER, "type": "private"},
        "from": {"id": POISON_USER, "is_bot": False, "first_name": "Veneno"}}}
    request = urllib.request.Request(
        procs[0].base + "/telegram/webhook", data=json.dumps(update).encode(),
        headers={"Content-Type": "application/json",
                 "X-Telegram-Bot-Api-Secret-Token": SECRET})
    with urllib.request.urlopen(request, timeout=10) as response:
        print(f"poison update answered {response.status}")


def telegram_outage(_b: Backend, _p: list[Any], sink: Sink, _a: Namespace) -> None:
    sink.fail_file.write_text("502")
    time.sleep(20)
    sink.fail_file.write_text("429 5")
    time.sleep(10)
    sink.fail_file.unlink()


DRILLS = {d.name: d for d in [
    Drill(name="kill9", fault="kill -9 of the service, then a restart", action=kill9),
    Drill(name="redis-stop", fault="Redis stopped (SIGSTOP) for 30 s", action=redis_stop,
          backend="pg-redis", private_pg=True),
    Drill(name="redis-kill", fault="Redis SIGKILLed, back empty (no persistence) after 5 s",
          action=redis_kill, backend="pg-redis", private_pg=True),
    Drill(name="process-stop", fault="two processes; one SIGSTOPped 40 s, then resumed",
          action=process_stop, backend="pg-redis", private_pg=True, processes=2),
    Drill(name="postgres-restart", fault="PostgreSQL restarted (fast shutdown)",
          action=postgres_restart, backend="pg-redis", private_pg=True),
    Drill(name="mongo-stop", fault="the document store (nx-27017) down for 10 s",
          action=mongo_stop, mongo=True),
    Drill(name="poison", fault="a poison update (a user id no store takes)", action=poison),
    Drill(name="telegram-outage", fault="Bot API 502 for 20 s, then 429 retry_after 5 for 10 s",
          action=telegram_outage),
]}
