"""A separate OS process for the event-bus fault tests (run as a script, not collected).

    python bus_worker.py ROLE --db PATH [--redis URL] [--users N] [--events N]
                         [--groups g1,g2] [--run TAG] [--pace-ms MS] [--chunk N] [--tasks N]
                         [--no-relay] [--hold]

ROLE is one of
  publish  publish `users x events` ReactionDetected events through `bus.publish`
           (seq 0 of every user, then seq 1, ...), printing `published <event_id>` after
           each `publish` returned. The relay runs unless `--no-relay`. With `--hold` it
           then waits to be killed; otherwise it waits until the outbox is empty and exits.
  consume  subscribe a recording handler for every group, start relay + consumers, and
           run until SIGTERM/SIGINT (graceful stop, exit 0).
  both     consume, and publish as `publish` does in the same process; prints
           `publish-done` after the last publish, then keeps consuming.

Every role prints `ready` once the bus has started. Event ids are `{run}-{user}-{seq}`;
the per-user sequence number travels in the payload (`content_id=seq-N`, `metadata.seq`).

The handler records every call as a row of the `handled` table (created here) through
`ctx.conn`, so the row commits atomically with the `(group, event_id)` processed mark.
The table has an autoincrement id (commit order) and no unique constraint, so a second
effect of one event would show up as a second row.

Tunables (environment): BUS_PARTITIONS, BUS_LEASE_TTL_MS, BUS_CLAIM_INTERVAL, BUS_BLOCK_MS,
BUS_BATCH_SIZE, BUS_MAX_DELIVERIES, BUS_RELAY_POLL, BUS_RELAY_LEASE_TTL,
BUS_HANDLER_SLEEP_MS, BUS_DRAIN_TIMEOUT. Logs go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import SecretStr

from yabot.domain.events import BaseEvent, ReactionDetected, ReactionDetectedPayload
from yabot.events.bus import BusConfig, EventBus
from yabot.events.handler_context import HandlerContext
from yabot.events.processor import ConsumerConfig
from yabot.events.relay import RelayConfig
from yabot.events.transports.base import Transport
from yabot.events.transports.memory import MemoryTransport
from yabot.logs import configure_logging
from yabot.settings import LogSettings, RedisSettings
from yabot.storage.sql.database import Database
from yabot.storage.sql.migrate import migrate

Handler = Callable[[BaseEvent, HandlerContext], Awaitable[None]]
handled_metadata = sa.MetaData()
handled = sa.Table(
    "handled", handled_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("grp", sa.Text, nullable=False),
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("event_id", sa.Text, nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sqlite_autoincrement=True,
)


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass(frozen=True, kw_only=True)
class Tunables:
    partitions: int = 16
    lease_ttl_ms: int = 1500
    claim_interval: float = 0.2
    block_ms: int = 200
    batch_size: int = 100
    max_deliveries: int = 5
    relay_poll: float = 0.1
    relay_lease_ttl: float = 1.0
    handler_sleep_ms: float = 0.0
    drain_timeout: float = 5.0

    @classmethod
    def from_env(cls) -> Tunables:
        d = cls()
        return cls(
            partitions=_env_int("BUS_PARTITIONS", d.partitions),
            lease_ttl_ms=_env_int("BUS_LEASE_TTL_MS", d.lease_ttl_ms),
            claim_interval=_env_float("BUS_CLAIM_INTERVAL", d.claim_interval),
            block_ms=_env_int("BUS_BLOCK_MS", d.block_ms),
            batch_size=_env_int("BUS_BATCH_SIZE", d.batch_size),
            max_deliveries=_env_int("BUS_MAX_DELIVERIES", d.max_deliveries),
            relay_poll=_env_float("BUS_RELAY_POLL", d.relay_poll),
            relay_lease_ttl=_env_float("BUS_RELAY_LEASE_TTL", d.relay_lease_ttl),
            handler_sleep_ms=_env_float("BUS_HANDLER_SLEEP_MS", d.handler_sleep_ms),
            drain_timeout=_env_float("BUS_DRAIN_TIMEOUT", d.drain_timeout),
        )

    def bus_config(self) -> BusConfig:
        return BusConfig(
            consumer=ConsumerConfig(batch_size=self.batch_size, block_ms=self.block_ms,
                                    max_deliveries=self.max_deliveries, retry_base=0.01,
                                    retry_max=0.1, claim_interval=self.claim_interval,
                                    drain_timeout=self.drain_timeout),
            relay=RelayConfig(poll_interval=self.relay_poll, lease_ttl=self.relay_lease_ttl,
                              backoff_base=0.02, backoff_max=0.5))


# --- helpers shared with the tests ------------------------------------------------------


def sqlite_url(path: str) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def prepare(db: Database) -> None:
    """Migrate the schema and create the `handled` table (idempotent)."""
    await migrate(db)
    async with db.write() as conn:
        await conn.run_sync(handled_metadata.create_all)


def event_id(run: str, user: str, seq: int) -> str:
    return f"{run}-{user}-{seq}"


def make_event(run: str, user: str, seq: int) -> ReactionDetected:
    return ReactionDetected(
        event_id=event_id(run, user, seq), user_id=user,
        payload=ReactionDetectedPayload(content_id=f"seq-{seq}", reaction_type="like",
                                        metadata={"seq": seq, "run": run}))


def users_of(count: int, prefix: str = "u") -> list[str]:
    return [f"{prefix}{i}" for i in range(count)]


def stream_of_events(run: str, users: list[str], events: int) -> Iterator[ReactionDetected]:
    """seq 0 of every user, then seq 1, ...: per-user order is publish order."""
    for seq in range(events):
        for user in users:
            yield make_event(run, user, seq)


def build_transport(redis_url: str | None, tun: Tunables) -> Transport:
    if not redis_url:
        return MemoryTransport(partitions=tun.partitions, lease_ttl_ms=tun.lease_ttl_ms)
    from yabot.events.transports.redis_streams import RedisStreamsConfig, create_redis_transport

    return create_redis_transport(
        RedisSettings(url=SecretStr(redis_url), password=None),
        RedisStreamsConfig(partitions=tun.partitions, lease_ttl_ms=tun.lease_ttl_ms))


def recording_handler(sleep_ms: float = 0.0) -> Handler:
    """The handler: one `handled` row per call, in the processed mark's transaction."""
    pid = os.getpid()

    async def handle(event: BaseEvent, ctx: HandlerContext) -> None:
        if sleep_ms:
            await asyncio.sleep(sleep_ms / 1000)
        seq = int(event.payload.metadata["seq"])  # type: ignore[attr-defined]
        await ctx.conn.execute(handled.insert().values(
            grp=ctx.group, user_id=event.user_id, seq=seq, event_id=event.event_id, pid=pid))

    return handle


# --- the process ----------------------------------------------------------------------


def say(line: str) -> None:
    print(line, flush=True)


async def _publish(bus: EventBus, args: argparse.Namespace) -> None:
    """`--tasks` concurrent publishers, each with its own users (so per-user order is
    publish order), as a web server's requests would publish."""
    users = users_of(args.users, args.user_prefix)
    await asyncio.gather(*(_publish_users(bus, args, users[t::args.tasks])
                           for t in range(args.tasks)))


async def _publish_users(bus: EventBus, args: argparse.Namespace, users: list[str]) -> None:
    events = list(stream_of_events(args.run, users, args.events))
    for start in range(0, len(events), args.chunk):
        chunk = events[start:start + args.chunk]
        await bus.publish(*chunk)
        for event in chunk:
            say(f"published {event.event_id}")
        if args.pace_ms:
            await asyncio.sleep(args.pace_ms / 1000)


async def _wait_outbox_empty(bus: EventBus) -> None:
    while await bus.outbox.backlog():
        await asyncio.sleep(0.05)


async def _main(args: argparse.Namespace) -> int:
    tun = Tunables.from_env()
    db = Database(sqlite_url(args.db))
    await prepare(db)
    bus = EventBus(db, build_transport(args.redis, tun), tun.bus_config())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    consume = args.role in ("consume", "both")
    if consume:
        handler = recording_handler(tun.handler_sleep_ms)
        for group in args.groups.split(","):
            bus.add_subscriber("reaction_detected", handler, group=group)
    await bus.start(consume=consume, relay=not args.no_relay)
    say("ready")
    try:
        if args.role in ("publish", "both"):
            await _publish(bus, args)
            say("publish-done")
            if args.role == "publish" and not args.hold and not args.no_relay:
                await _wait_outbox_empty(bus)
                return 0
        await stop.wait()
        return 0
    finally:
        await bus.stop()
        await db.dispose()


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bus_worker")
    parser.add_argument("role", choices=["publish", "consume", "both"])
    parser.add_argument("--db", default=os.environ.get("BUS_DB"),
                        required="BUS_DB" not in os.environ)
    parser.add_argument("--redis", default=os.environ.get("BUS_REDIS_URL") or None,
                        help="redis:// URL; omitted = in-process memory transport")
    parser.add_argument("--users", type=int, default=_env_int("BUS_USERS", 10))
    parser.add_argument("--events", type=int, default=_env_int("BUS_EVENTS", 10),
                        help="events per user")
    parser.add_argument("--groups", default=os.environ.get("BUS_GROUPS", "g"))
    parser.add_argument("--run", default=os.environ.get("BUS_RUN", "r"),
                        help="event id prefix")
    parser.add_argument("--user-prefix", default="u")
    parser.add_argument("--pace-ms", type=float, default=0.0,
                        help="sleep between publish calls")
    parser.add_argument("--chunk", type=int, default=1, help="events per publish call")
    parser.add_argument("--tasks", type=int, default=1, help="concurrent publishing tasks")
    parser.add_argument("--no-relay", action="store_true")
    parser.add_argument("--hold", action="store_true",
                        help="publish: after publishing, wait to be killed")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    configure_logging(LogSettings(level=os.environ.get("BUS_LOG_LEVEL", "WARNING")),
                      stream=sys.stderr)
    return asyncio.run(_main(args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
