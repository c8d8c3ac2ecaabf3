"""The event bus under faults, across processes: nothing lost, effects once, order per user.

Worker processes run `bus_worker.py` against one SQLite file and (mostly) a private
redis-server with `appendfsync always`. Every handler call leaves a `handled` row written
in the same transaction as the `(group, event_id)` processed mark, with an autoincrement
id (commit order), so a lost event is a missing row, a second effect is a second row, and
an order violation is a decreasing `seq` for one user in id order.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.fixtures.redis import RedisServer
from tests.integration import bus_worker as bw
from yabot.domain.events import BaseEvent
from yabot.events.bus import BusConfig, EventBus
from yabot.events.dead_letter_queue import list_dead_letters, replay_dead_letters
from yabot.events.handler_context import HandlerContext
from yabot.events.processor import ConsumerConfig
from yabot.events.relay import RelayConfig
from yabot.events.transports.base import OutgoingMessage, Transport
from yabot.events.transports.memory import MemoryTransport
from yabot.events.transports.redis_streams import RedisStreamsConfig, create_redis_transport
from yabot.settings import RedisSettings
from yabot.storage.sql.database import Database

pytestmark = [pytest.mark.slow]
WORKER = Path(__file__).with_name("bus_worker.py")
PARTITIONS = 16
PREFIX = "yabot:events"  # RedisStreamsConfig.stream_prefix
# Short leases and claim rounds: a dead worker's partitions are taken over within ~2 s.
FAST_ENV = {"BUS_PARTITIONS": str(PARTITIONS), "BUS_LEASE_TTL_MS": "1500",
            "BUS_CLAIM_INTERVAL": "0.2", "BUS_BLOCK_MS": "200", "BUS_RELAY_POLL": "0.1",
            "BUS_RELAY_LEASE_TTL": "1.0", "BUS_DRAIN_TIMEOUT": "5"}
with_redis = pytest.param("redis", marks=pytest.mark.redis)


# --- worker processes -------------------------------------------------------------------


class Worker:
    """One bus_worker.py process: its stdout lines are collected as they come."""

    def __init__(self, name: str, proc: asyncio.subprocess.Process, log: Path) -> None:
        self.name, self.proc, self.log = name, proc, log
        self.lines: list[str] = []
        self._new_line = asyncio.Event()
        assert proc.stdout is not None
        self._pump = asyncio.create_task(self._read(proc.stdout))

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self.lines.append(line.decode().rstrip("\n"))
            self._new_line.set()

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def published(self) -> list[str]:
        return [line.split(" ", 1)[1] for line in self.lines if line.startswith("published ")]

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return ""
        return f"--- {self.name} (pid {self.pid}) stderr ---\n" + "\n".join(text)

    async def wait_line(self, predicate: Callable[[str], bool], timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for line in self.lines[seen:]:
                if predicate(line):
                    return line
            seen = len(self.lines)
            if self.proc.returncode is not None and self._pump.done():
                raise AssertionError(f"{self.name} exited ({self.proc.returncode}) "
                                     f"before the line\n{self.log_tail()}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{self.name}: line not seen in {timeout}s\n"
                                     f"{self.log_tail()}")
            self._new_line.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_line.wait(), min(remaining, 0.5))

    async def ready(self) -> None:
        await self.wait_line(lambda line: line == "ready")

    async def kill9(self) -> None:
        """SIGKILL: no shutdown code runs. Collects what it printed before dying."""
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        await self.proc.wait()
        await asyncio.wait_for(self._pump, 10)

    async def terminate(self, timeout: float = 20.0) -> int:
        """SIGTERM (graceful stop); the exit code."""
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
            raise AssertionError(
                f"{self.name} did not stop on SIGTERM\n{self.log_tail()}") from None
        await asyncio.wait_for(self._pump, 10)
        return code


Spawn = Callable[..., Awaitable[Worker]]


@pytest.fixture
async def spawn(tmp_path: Path) -> AsyncIterator[Spawn]:
    """Start bus_worker.py processes; any still alive at teardown is SIGKILLed."""
    workers: list[Worker] = []

    async def start(name: str, *args: object, env: dict[str, str] | None = None) -> Worker:
        log = tmp_path / f"{name}-{len(workers)}.log"
        with log.open("wb") as err:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, str(WORKER), *map(str, args), cwd=tmp_path,
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=err,
                env={**os.environ, **FAST_ENV, **(env or {})})
        worker = Worker(name, proc, log)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        if worker.proc.returncode is None:
            await worker.kill9()


def worker_logs(*workers: Worker) -> str:
    return "\n".join(w.log_tail() for w in workers)


# --- the SQLite file, read from the test ------------------------------------------------


def query(db_path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(db_path, timeout=30)) as conn:
        return conn.execute(sql, params).fetchall()


def handled_rows(db_path: Path, group: str) -> list[tuple[int, str, int, str, int]]:
    """(id, user_id, seq, event_id, pid) of `group`, in commit order."""
    return [tuple(r) for r in query(  # type: ignore[misc]
        db_path, "SELECT id, user_id, seq, event_id, pid FROM handled WHERE grp = ? ORDER BY id",
        group)]


def handled_count(db_path: Path, group: str) -> int:
    return int(query(db_path, "SELECT count(*) FROM handled WHERE grp = ?", group)[0][0])


def handled_ids(db_path: Path, group: str) -> set[str]:
    return {r[0] for r in query(db_path, "SELECT event_id FROM handled WHERE grp = ?", group)}


async def wait_until(check: Callable[[], Any], what: str, timeout: float,
                     *workers: Worker, interval: float = 0.1,
                     describe: Callable[[], str] | None = None) -> None:
    """Poll `check` (sync or async) until truthy; fail with `describe()` and the logs."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            detail = describe() if describe is not None else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {what} {detail}\n"
                                 f"{worker_logs(*workers)}")
        await asyncio.sleep(interval)


def assert_once_in_order(db_path: Path, group: str, expected: Iterable[str],
                         ) -> list[tuple[int, str, int, str, int]]:
    """Every expected event handled exactly once by `group`, nothing else, per-user order."""
    rows = handled_rows(db_path, group)
    counts = Counter(r[3] for r in rows)
    duplicates = {e: n for e, n in counts.items() if n > 1}
    assert not duplicates, f"{group}: events with a second effect: {list(duplicates.items())[:10]}"
    expected = set(expected)
    missing, extra = expected - counts.keys(), counts.keys() - expected
    assert not missing, f"{group}: {len(missing)} events lost, e.g. {sorted(missing)[:10]}"
    assert not extra, f"{group}: unexpected events handled: {sorted(extra)[:10]}"
    assert_user_order(rows, group)
    return rows


def assert_user_order(rows: Iterable[tuple[int, str, int, str, int]], group: str) -> None:
    last: dict[str, int] = {}
    for row_id, user, seq, event_id, _pid in rows:
        assert seq > last.get(user, -1), (
            f"{group}: {user} handled seq {seq} ({event_id}, row {row_id}) "
            f"after seq {last[user]}")
        last[user] = seq


def missing(db_path: Path, groups: Iterable[str], expected: set[str]) -> Callable[[], str]:
    def describe() -> str:
        lost = {g: sorted(expected - handled_ids(db_path, g)) for g in groups}
        return "; ".join(f"{g}: {len(ids)} not handled, e.g. {ids[:5]}"
                         for g, ids in lost.items())
    return describe


def expected_ids(run: str, users: int, events: int) -> set[str]:
    return {bw.event_id(run, u, s) for u in bw.users_of(users) for s in range(events)}


# --- Redis inspection -------------------------------------------------------------------


def stream(partition: int) -> str:
    return f"{PREFIX}:{{p{partition}}}"


@pytest.fixture
async def inspector(private_redis: RedisServer) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(  # survives the server's restarts
        private_redis.url, decode_responses=True, retry=Retry(ExponentialBackoff(), 5),
        retry_on_error=[RedisConnectionError])
    yield client
    await client.aclose()


async def pending_entries(r: aioredis.Redis, group: str) -> list[tuple[str, str]]:
    """(event_id, consumer) of every message delivered to `group` and not acknowledged."""
    out: list[tuple[str, str]] = []
    for p in range(PARTITIONS):
        try:
            entries = await r.xpending_range(stream(p), group, "-", "+", 100_000)
        except aioredis.ResponseError:  # no such stream or group: nothing consumed there
            continue
        if not entries:
            continue
        consumers = {e["message_id"]: e["consumer"] for e in entries}
        for message_id, fields in await r.xrange(
                stream(p), entries[0]["message_id"], entries[-1]["message_id"]):
            if message_id in consumers:
                out.append((fields["event_id"], consumers[message_id]))
    return out


async def stream_total(r: aioredis.Redis) -> int:
    return sum([await r.xlen(stream(p)) for p in range(PARTITIONS)])


async def lease_owners(r: aioredis.Redis, group: str) -> list[str | None]:
    return [await r.get(f"{stream(p)}:lease:{group}") for p in range(PARTITIONS)]


def pid_of(consumer: str) -> int:
    """Consumer names are `{hostname}-{pid}-{hex}` (EventBus.consumer_name)."""
    return int(consumer.rsplit("-", 2)[1])


# --- in-process buses -------------------------------------------------------------------


def redis_transport(url: str) -> Transport:
    return create_redis_transport(RedisSettings(url=SecretStr(url), password=None),
                                  RedisStreamsConfig(partitions=PARTITIONS, lease_ttl_ms=1500))


def fast_bus_config(max_deliveries: int = 5) -> BusConfig:
    return BusConfig(
        consumer=ConsumerConfig(block_ms=100, claim_interval=0.2, max_deliveries=max_deliveries,
                                retry_base=0.01, retry_max=0.05, drain_timeout=5),
        relay=RelayConfig(poll_interval=0.05, lease_ttl=1.0, backoff_base=0.02, backoff_max=0.5))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "bus.db"


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    database = Database(bw.sqlite_url(str(db_path)))
    await bw.prepare(database)
    yield database
    await database.dispose()


async def publish_all(db: Database, url: str | None, events: list[BaseEvent], *,
                      relay: bool) -> None:
    """Publish from the test process, in chunks; with `relay`, until the outbox is empty."""
    transport = redis_transport(url) if url else MemoryTransport(partitions=PARTITIONS)
    bus = EventBus(db, transport, fast_bus_config())
    await bus.start(consume=False, relay=relay)
    try:
        for start in range(0, len(events), 1000):
            await bus.publish(*events[start:start + 1000])
        if relay:
            await wait_until(lambda: _not(bus.outbox.backlog()), "an empty outbox", 30)
    finally:
        await bus.stop()


async def _not(value: Awaitable[int]) -> bool:
    return not await value


# --- 1. Redis killed and restarted mid-stream -------------------------------------------


@pytest.mark.redis
async def test_redis_crash_mid_stream_loses_nothing_and_keeps_user_order(
        spawn: Spawn, db_path: Path, db: Database, private_redis: RedisServer,
        inspector: aioredis.Redis) -> None:
    """One process publishes and consumes (two groups) while Redis is SIGKILLed twice.

    The first outage (2 s) outlives the partition leases (1.5 s) and lets the outbox fill
    up; when Redis is back the relay replays it, and every partition loop holds a batch it
    has read. Redis then dies again, for 0.6 s: claim rounds fail (the worker drops its
    partition loops with those batches unhandled) but the leases survive, so the worker
    must redeliver its own pending messages, first, when Redis is back.
    """
    users, events, groups = 20, 80, ("g1", "g2")
    expected = expected_ids("crash", users, events)
    worker = await spawn(
        "both", "both", "--db", db_path, "--redis", private_redis.url, "--users", users,
        "--events", events, "--groups", ",".join(groups), "--run", "crash", "--chunk", 5,
        "--pace-ms", 10, env={"BUS_HANDLER_SLEEP_MS": "2"})
    await worker.ready()
    await wait_until(lambda: handled_count(db_path, "g1") >= 100, "100 events handled", 30,
                     worker)

    outages: list[tuple[int, int]] = []  # published count when Redis died / came back
    for downtime in (2.0, 0.6):
        private_redis.kill()
        down_at = len(worker.published)
        await asyncio.sleep(downtime)
        outages.append((down_at, len(worker.published)))
        private_redis.start()
        if len(outages) == 1:
            await wait_until(lambda: _pending_count(inspector, groups, 300),
                             "a backlog of read, unhandled batches", 10, worker, interval=0.02)

    await worker.wait_line(lambda line: line == "publish-done", timeout=60)
    assert set(worker.published) == expected  # publishing never failed for the caller
    # the first outage let the outbox fill up (in the second, publishes may queue behind
    # the batches being committed on the one SQLite writer)
    assert outages[0][1] > outages[0][0], f"no publishes while Redis was down: {outages}"
    await wait_until(lambda: all(handled_count(db_path, g) >= len(expected) for g in groups),
                     "every event handled by every group", 40, worker,
                     describe=missing(db_path, groups, expected))
    for group in groups:  # nothing left behind in a pending list (read, never acked)
        await wait_until(lambda g=group: _no_pending(inspector, g),  # type: ignore[misc]
                         f"{group} to acknowledge everything", 10, worker)
    await asyncio.sleep(0.3)  # late redeliveries would add rows now
    assert await worker.terminate() == 0
    for group in groups:
        assert_once_in_order(db_path, group, expected)


async def _pending_count(r: aioredis.Redis, groups: Iterable[str], at_least: int) -> bool:
    total = 0
    for p in range(PARTITIONS):
        for group in groups:
            with contextlib.suppress(aioredis.ResponseError):
                total += int((await r.xpending(stream(p), group))["pending"])
    return total >= at_least


# --- 2. a worker SIGKILLed mid-batch ----------------------------------------------------


@pytest.mark.redis
async def test_killed_worker_pending_events_are_reclaimed_once(
        spawn: Spawn, db_path: Path, db: Database, private_redis: RedisServer,
        inspector: aioredis.Redis) -> None:
    users, events = 50, 40
    expected = expected_ids("reclaim", users, events)
    await publish_all(db, private_redis.url, list(bw.stream_of_events(
        "reclaim", bw.users_of(users), events)), relay=True)
    assert await stream_total(inspector) == len(expected)

    slow = {"BUS_HANDLER_SLEEP_MS": "5", "BUS_BATCH_SIZE": "20"}
    first = await spawn("first", "consume", "--db", db_path, "--redis", private_redis.url,
                        env=slow)
    await first.ready()
    await wait_until(lambda: handled_count(db_path, "g") >= 100, "the first worker to start",
                     30, first)
    # Hold the worker's Redis writes (XACK, XREADGROUP, lease renewals) while it goes on
    # committing the batches it has read, and kill it once some of them are committed
    # (effect done, acknowledgement lost) while others are still being handled.
    pending: list[tuple[str, str]] = []
    done_by_first: set[str] = set()
    for _attempt in range(5):
        assert private_redis.command("CLIENT", "PAUSE", "10000", "WRITE") == "+OK"
        try:
            deadline = time.monotonic() + 1.5
            while time.monotonic() < deadline:
                pending_ids = {e for e, _ in await pending_entries(inspector, "g")}
                done = handled_ids(db_path, "g")
                if pending_ids & done and pending_ids - done:
                    await first.kill9()
                    break
                await asyncio.sleep(0.01)
            else:  # everything it had read got committed first: try again
                continue
            await asyncio.sleep(0.5)  # Redis drops the dead connections before unpausing
            pending = await pending_entries(inspector, "g")
            done_by_first = handled_ids(db_path, "g")
            break
        finally:
            assert private_redis.command("CLIENT", "UNPAUSE") == "+OK"
    assert first.proc.returncode is not None, f"no moment to kill\n{first.log_tail()}"
    assert len(done_by_first) < len(expected)
    assert pending, "the killed worker left nothing pending"
    assert {pid_of(consumer) for _, consumer in pending} == {first.pid}
    pending_ids = {e for e, _ in pending}
    committed_but_pending = pending_ids & done_by_first
    assert committed_but_pending, "no event was both committed and left unacknowledged"
    read_not_handled = pending_ids - done_by_first
    assert read_not_handled, "the killed worker held no batch it had read but not handled"

    second = await spawn("second", "consume", "--db", db_path, "--redis", private_redis.url)
    await second.ready()
    await wait_until(lambda: handled_count(db_path, "g") >= len(expected),
                     "the second worker to finish", 60, second,
                     describe=missing(db_path, ["g"], expected))
    await wait_until(lambda: _no_pending(inspector, "g"), "every message acknowledged", 10,
                     second)
    assert await second.terminate() == 0

    rows = assert_once_in_order(db_path, "g", expected)
    by_pid = {r[3]: r[4] for r in rows}
    assert {by_pid[e] for e in committed_but_pending} == {first.pid}  # not redone
    assert {by_pid[e] for e in read_not_handled} == {second.pid}  # reclaimed


async def _no_pending(r: aioredis.Redis, group: str) -> bool:
    return not await pending_entries(r, group)


# --- 3. a poison event ------------------------------------------------------------------


class PoisonError(Exception):
    pass


@pytest.mark.redis
async def test_poison_event_is_dead_lettered_and_replayed_once(
        db_path: Path, db: Database, private_redis: RedisServer,
        inspector: aioredis.Redis) -> None:
    max_deliveries, users = 3, 8
    poison = bw.make_event("poison", "u0", 2)
    refuse = True
    poison_calls = 0
    record = bw.recording_handler()

    async def picky(event: BaseEvent, ctx: HandlerContext) -> None:
        nonlocal poison_calls
        if event.event_id == poison.event_id:
            poison_calls += 1
            if refuse:
                raise PoisonError(f"cannot digest {event.event_id}")
        await record(event, ctx)

    bus = EventBus(db, redis_transport(private_redis.url), fast_bus_config(max_deliveries))
    bus.add_subscriber("reaction_detected", picky, group="g")
    bus.add_subscriber("reaction_detected", record, group="other")
    await bus.start()
    try:
        first_wave = list(bw.stream_of_events("poison", bw.users_of(users), 5))
        await bus.publish(*first_wave)
        await wait_until(lambda: query(db_path, "SELECT count(*) FROM dead_letters")[0][0],
                         "the poison event in dead_letters", 20)
        # the poison's user and the other users keep flowing after it
        second_wave = [bw.make_event("poison", u, s)
                       for s in range(5, 10) for u in bw.users_of(users)]
        await bus.publish(*second_wave)
        everything = {e.event_id for e in first_wave + second_wave}
        await wait_until(lambda: handled_ids(db_path, "g") == everything - {poison.event_id}
                         and handled_ids(db_path, "other") == everything,
                         "every other event handled", 20)

        letters = await list_dead_letters(db)
        assert len(letters) == 1
        letter = letters[0]
        assert (letter.event_id, letter.consumer_group, letter.event_type) == (
            poison.event_id, "g", "reaction_detected")
        assert letter.attempts == max_deliveries
        assert letter.error == f"PoisonError: cannot digest {poison.event_id}"
        # one call in the batch that failed, then max_deliveries one-by-one attempts
        assert max_deliveries <= poison_calls <= max_deliveries + 1
        dead_stream = await inspector.xrange("yabot:events:dead")
        assert [(f["event_id"], f["group"], int(f["attempts"])) for _, f in dead_stream] == [
            (poison.event_id, "g", max_deliveries)]
        assert_once_in_order(db_path, "g", everything - {poison.event_id})
        assert_once_in_order(db_path, "other", everything)

        refuse = False  # the handler is fixed; replay the dead letter
        assert await replay_dead_letters(db, None) == [letter.id]
        await wait_until(lambda: poison.event_id in handled_ids(db_path, "g"),
                         "the replayed event handled", 20)
        # the replayed copy reached "other" too: a later event of the same user (same
        # partition, behind it) handled by "other" proves it got past that copy
        sentinel = bw.make_event("poison", "u0", 10)
        await bus.publish(sentinel)
        await wait_until(lambda: sentinel.event_id in handled_ids(db_path, "other"),
                         "other past the replayed copy", 20)
        await wait_until(lambda: _no_pending(inspector, "g"), "g acknowledged all", 10)
        await wait_until(lambda: _no_pending(inspector, "other"), "other acknowledged all", 10)
        assert await replay_dead_letters(db, None) == []  # replayed once only
    finally:
        await bus.stop()

    for group in ("g", "other"):
        counts = Counter(r[3] for r in handled_rows(db_path, group))
        assert counts[poison.event_id] == 1, f"{group} handled the poison event {counts}"
        assert set(counts.values()) == {1}
    assert await list_dead_letters(db) == []
    (replayed,) = await list_dead_letters(db, include_replayed=True)
    assert replayed.id == letter.id and replayed.replayed_at is not None


# --- 4 and 7. the publisher killed right after publish returned -------------------------


@pytest.mark.parametrize("transport", ["memory", with_redis])
async def test_event_published_before_kill9_is_delivered_after_restart(
        transport: str, spawn: Spawn, db_path: Path, db: Database,
        request: pytest.FixtureRequest) -> None:
    redis_args: list[object] = []
    if transport == "redis":
        server: RedisServer = request.getfixturevalue("private_redis")
        redis_args = ["--redis", server.url]
    # The relay is not started in the publisher: the outbox row is all there is.
    publisher = await spawn("publisher", "publish", "--db", db_path, *redis_args,
                            "--users", 1, "--events", 1, "--run", "kill", "--no-relay",
                            "--hold", env={"BUS_RELAY_POLL": "3600"})
    line = await publisher.wait_line(lambda line: line.startswith("published "))
    await publisher.kill9()
    event_id = line.split(" ", 1)[1]
    assert event_id == bw.event_id("kill", "u0", 0)
    assert query(db_path, "SELECT event_id, sent FROM outbox") == [(event_id, 0)]
    if transport == "redis":
        async with aioredis.Redis.from_url(server.url, decode_responses=True) as r:
            assert await stream_total(r) == 0  # it never reached Redis

    fresh = await spawn("fresh", "consume", "--db", db_path, *redis_args, "--groups", "g1,g2")
    await fresh.ready()
    await wait_until(lambda: all(handled_ids(db_path, g) == {event_id} for g in ("g1", "g2")),
                     "the event handled by both groups", 20, fresh)
    # memory: deleted once settled; redis: kept, flagged sent, for the replay window
    left = "SELECT * FROM outbox" + (" WHERE sent = 0" if transport == "redis" else "")
    await wait_until(lambda: not query(db_path, left), "an outbox with nothing to send",
                     10, fresh)
    await asyncio.sleep(0.3)
    assert await fresh.terminate() == 0
    for group in ("g1", "g2"):
        assert_once_in_order(db_path, group, {event_id})


async def test_memory_transport_kill9_mid_stream_delivers_every_committed_event(
        spawn: Spawn, db_path: Path, db: Database) -> None:
    """Events the relay handed to the in-process transport die with the process; the
    outbox keeps them until every group acked, so a restart delivers them (once)."""
    users, events, groups = 20, 30, ("g1", "g2")
    worker = await spawn("single", "both", "--db", db_path, "--users", users, "--events",
                         events, "--groups", ",".join(groups), "--run", "mem", "--chunk", 10,
                         "--pace-ms", 5,
                         env={"BUS_HANDLER_SLEEP_MS": "3"})
    await worker.ready()
    await wait_until(lambda: handled_count(db_path, "g1") >= 100
                     and query(db_path, "SELECT count(*) FROM outbox WHERE sent")[0][0] >= 10,
                     "100 events handled and 10 in the transport only", 30, worker,
                     interval=0.02)
    await worker.kill9()
    announced = set(worker.published)
    everything = expected_ids("mem", users, events)
    assert 100 <= len(announced) < len(everything)
    sent = query(db_path, "SELECT count(*) FROM outbox WHERE sent")[0][0]
    assert sent > 0, "no event was in the transport only (sent, unsettled) at the kill"
    # committed before the kill: announced, or still in the outbox, or relayed (audit log)
    committed = announced | {r[0] for r in query(db_path, "SELECT event_id FROM outbox")} | {
        r[0] for r in query(db_path, "SELECT event_id FROM event_log")}

    restarted = await spawn("restarted", "consume", "--db", db_path, "--groups",
                            ",".join(groups))
    await restarted.ready()
    await wait_until(lambda: all(committed <= handled_ids(db_path, g) for g in groups),
                     "every committed event handled", 30, restarted,
                     describe=missing(db_path, groups, committed))
    await wait_until(lambda: not query(db_path, "SELECT * FROM outbox"), "an empty outbox",
                     10, restarted)
    assert await restarted.terminate() == 0
    for group in groups:
        rows = handled_rows(db_path, group)
        assert_once_in_order(db_path, group, committed)
        per_user: dict[str, list[int]] = defaultdict(list)
        for _id, user, seq, _e, _pid in rows:
            per_user[user].append(seq)
        for user, seqs in per_user.items():  # a prefix of the user's events: no gap
            assert seqs == list(range(len(seqs))), f"{group} {user}: {seqs}"


# --- 5. duplicate deliveries ------------------------------------------------------------


@pytest.mark.parametrize("transport", ["memory", with_redis])
async def test_duplicate_deliveries_have_no_second_effect(
        transport: str, db_path: Path, db: Database, request: pytest.FixtureRequest) -> None:
    url = None
    if transport == "redis":
        url = request.getfixturevalue("private_redis").url
    t = redis_transport(url) if url else MemoryTransport(partitions=PARTITIONS)
    bus = EventBus(db, t, fast_bus_config())
    record = bw.recording_handler()
    groups = ("g1", "g2")
    for group in groups:
        bus.add_subscriber("reaction_detected", record, group=group)
    await bus.start()
    try:
        event, later = bw.make_event("dup", "u7", 0), bw.make_event("dup", "u7", 1)

        def message(e: BaseEvent) -> OutgoingMessage:
            return OutgoingMessage(event_id=e.event_id, event_type=e.event_type, key=e.user_id,
                                   data=e.to_json())

        await t.send([message(event), message(event)])
        await wait_until(lambda: all(event.event_id in handled_ids(db_path, g) for g in groups),
                         "the event handled", 10)
        # once more after it was handled; `later` (same user, same partition) comes after it
        await t.send([message(event), message(later)])
        await wait_until(lambda: all(later.event_id in handled_ids(db_path, g) for g in groups),
                         "the later event handled", 10)
        await asyncio.sleep(0.3)
    finally:
        await bus.stop()
    for group in groups:
        assert_once_in_order(db_path, group, {event.event_id, later.event_id})
    assert query(db_path, "SELECT consumer_group, count(*) FROM processed_events "
                 "WHERE event_id = ? GROUP BY consumer_group ORDER BY 1",
                 event.event_id) == [(g, 1) for g in groups]


# --- 6. two workers, 1,000 users x 20 ordered events ------------------------------------


@pytest.mark.redis
async def test_two_workers_share_partitions_and_keep_every_users_order(
        spawn: Spawn, db_path: Path, db: Database, private_redis: RedisServer,
        inspector: aioredis.Redis) -> None:
    users, events = 1000, 20
    expected = expected_ids("load", users, events)
    workers = [await spawn(name, "consume", "--db", db_path, "--redis", private_redis.url)
               for name in ("worker-a", "worker-b")]
    for worker in workers:
        await worker.ready()

    async def split() -> bool:
        owners = Counter(await lease_owners(inspector, "g"))
        return sorted(pid_of(o) for o in owners if o) == sorted(w.pid for w in workers) and \
            set(owners.values()) == {PARTITIONS // 2}

    await wait_until(split, "the partitions split 8/8 between the workers", 20, *workers)
    # published by the test; the workers' relays pick the rows up from the shared outbox
    await publish_all(db, private_redis.url, list(bw.stream_of_events(
        "load", bw.users_of(users), events)), relay=False)
    await wait_until(lambda: handled_count(db_path, "g") >= len(expected),
                     f"{len(expected)} events handled", 120, *workers, interval=0.5,
                     describe=missing(db_path, ["g"], expected))
    await asyncio.sleep(0.5)
    for worker in workers:
        assert await worker.terminate() == 0

    rows = assert_once_in_order(db_path, "g", expected)
    per_pid = Counter(r[4] for r in rows)
    assert set(per_pid) == {w.pid for w in workers}, per_pid


# --- replaying a dead letter whose outbox row is still unsettled (memory transport) ---


async def test_memory_replay_while_another_group_has_not_acked(
        db_path: Path, db: Database) -> None:
    poison = bw.make_event("late", "u0", 0)
    refuse = True
    record = bw.recording_handler()

    async def picky(event: BaseEvent, ctx: HandlerContext) -> None:
        if refuse:
            raise PoisonError("not yet")
        await record(event, ctx)

    transport = MemoryTransport(partitions=PARTITIONS)
    bus = EventBus(db, transport, fast_bus_config(max_deliveries=2))
    bus.add_subscriber("reaction_detected", picky, group="g")
    await bus.start()
    try:
        await transport.ensure_group("behind")  # a group that has not reached the event yet
        await bus.publish(poison)
        await wait_until(lambda: query(db_path, "SELECT count(*) FROM dead_letters")[0][0],
                         "the dead letter", 10)
        refuse = False
        assert len(await replay_dead_letters(db, None)) == 1
        await wait_until(lambda: poison.event_id in handled_ids(db_path, "g"),
                         "the replayed event handled by g", 3)
    finally:
        await bus.stop()
