"""One contract suite for the event bus, run on every transport (memory, Redis Streams)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from yabot.domain.errors import StoreUnavailableError
from yabot.domain.events import (
    BaseEvent,
    BesitosAwarded,
    BesitosPayload,
    EventError,
    ReactionDetected,
    ReactionDetectedPayload,
    UserActivity,
    UserActivityPayload,
    UserRegistered,
    UserRegisteredPayload,
)
from yabot.events.bus import BusConfig, EventBus
from yabot.events.dead_letter_queue import list_dead_letters, replay_dead_letters
from yabot.events.handler_context import HandlerContext
from yabot.events.processor import ConsumerConfig
from yabot.events.relay import RelayConfig
from yabot.events.transports.base import OutgoingMessage, Transport
from yabot.events.transports.memory import MemoryTransport
from yabot.services.container import register_activity
from yabot.settings import RedisSettings
from yabot.storage.sql.database import Database
from yabot.storage.sql.migrate import migrate
from yabot.storage.sql.tables import event_log, outbox, user_profiles
from yabot.storage.sql.unit_of_work import opened

FAST = BusConfig(
    consumer=ConsumerConfig(block_ms=50, claim_interval=0.05, retry_base=0.005, retry_max=0.02,
                            max_deliveries=3, drain_timeout=5),
    relay=RelayConfig(poll_interval=0.05))
BusFactory = Callable[[], Awaitable[EventBus]]


def reaction(user: str, content: str = "c1") -> ReactionDetected:
    return ReactionDetected(user_id=user, payload=ReactionDetectedPayload(
        content_id=content, reaction_type="like"))


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def new_bus(request: pytest.FixtureRequest,
                  relational_url: str) -> AsyncIterator[BusFactory]:
    """A bus factory over every transport × every relational backend."""
    db = Database(relational_url)
    await migrate(db)
    buses: list[EventBus] = []

    def transport() -> Transport:
        if request.param == "memory":
            return MemoryTransport(partitions=4)
        from yabot.events.transports.redis_streams import create_redis_transport

        url = request.getfixturevalue("redis_url")
        return create_redis_transport(RedisSettings(url=SecretStr(url)))

    async def make() -> EventBus:
        bus = EventBus(db, transport(), FAST)
        buses.append(bus)
        return bus

    yield make
    for bus in buses:
        if bus._started:
            await bus.stop()
    await db.dispose()


async def test_published_event_reaches_its_subscriber_typed_and_audited(
        new_bus: BusFactory) -> None:
    bus = await new_bus()
    got: list[BaseEvent] = []

    @bus.subscribe("reaction_detected", group="g")
    async def handle(event: BaseEvent, ctx: HandlerContext) -> None:
        got.append(event)

    await bus.start()
    sent = reaction("42")
    await bus.publish(sent)
    await wait_for(lambda: len(got) == 1)
    assert isinstance(got[0], ReactionDetected)
    assert got[0] == sent
    async with bus.db.read() as conn:
        logged = (await conn.execute(sa.select(event_log.c.event_type, event_log.c.user_id)
                                     .where(event_log.c.event_id == sent.event_id))).all()
    assert logged == [("reaction_detected", "42")]
    for _ in range(250):  # the relay marks rows sent right after handing them over
        if await bus.outbox.backlog() == 0:
            break
        await asyncio.sleep(0.02)
    assert await bus.outbox.backlog() == 0


async def test_prefix_subscription_and_several_groups(new_bus: BusFactory) -> None:
    bus = await new_bus()
    seen: dict[str, list[str]] = {"users": [], "all_reactions": []}

    async def on_user(event: BaseEvent, ctx: HandlerContext) -> None:
        seen["users"].append(event.event_type)

    async def on_reaction(event: BaseEvent, ctx: HandlerContext) -> None:
        seen["all_reactions"].append(event.event_type)

    bus.add_subscriber("user_*", on_user, group="activity")
    bus.add_subscriber("reaction_detected", on_reaction, group="coordinator")
    await bus.start()
    await bus.publish(UserRegistered(user_id="7", payload=UserRegisteredPayload(
        telegram_user_id=7)))
    await bus.publish(reaction("7"))
    await bus.publish(UserActivity(user_id="7", payload=UserActivityPayload(activity="menu")))
    await wait_for(lambda: len(seen["users"]) == 2 and len(seen["all_reactions"]) == 1)
    await asyncio.sleep(0.2)
    assert seen == {"users": ["user_registered", "user_activity"],
                    "all_reactions": ["reaction_detected"]}


async def test_per_user_order_across_many_users(new_bus: BusFactory) -> None:
    bus = await new_bus()
    order: dict[str, list[int]] = {}

    @bus.subscribe("reaction_detected", group="g")
    async def handle(event: BaseEvent, ctx: HandlerContext) -> None:
        assert isinstance(event, ReactionDetected)
        await asyncio.sleep(0)  # let other users interleave
        order.setdefault(event.user_id or "", []).append(int(event.payload.content_id))

    await bus.start()
    users, per_user = 25, 12
    for n in range(per_user):
        for u in range(users):
            await bus.publish(reaction(f"u{u}", str(n)))
    await wait_for(lambda: sum(map(len, order.values())) == users * per_user, timeout=30)
    assert all(seq == list(range(per_user)) for seq in order.values())


async def test_redelivered_event_has_no_second_effect(new_bus: BusFactory) -> None:
    bus = await new_bus()
    calls: list[str] = []

    @bus.subscribe("reaction_detected", group="g")
    async def handle(event: BaseEvent, ctx: HandlerContext) -> None:
        calls.append(event.event_id)

    await bus.start()
    event = reaction("9")
    message = OutgoingMessage(event_id=event.event_id, event_type=event.event_type,
                              key=event.user_id, data=event.to_json())
    await bus.transport.send([message, message])
    await wait_for(lambda: len(calls) >= 1)
    await bus.transport.send([message])
    await asyncio.sleep(0.5)
    assert calls == [event.event_id]


async def test_failures_retry_then_succeed_without_dead_letter(new_bus: BusFactory) -> None:
    bus = await new_bus()
    attempts: list[int] = []

    @bus.subscribe("reaction_detected", group="g")
    async def flaky(event: BaseEvent, ctx: HandlerContext) -> None:
        attempts.append(1)
        if len(attempts) < 3:
            raise RuntimeError("transient")

    await bus.start()
    await bus.publish(reaction("1"))
    await wait_for(lambda: len(attempts) == 3)
    await asyncio.sleep(0.2)
    assert len(attempts) == 3
    assert await list_dead_letters(bus.db) == []


async def test_a_store_outage_is_waited_out_not_dead_lettered(new_bus: BusFactory) -> None:
    """max_deliveries is 3 here; a store that is down for many more tries is not the
    event's fault: the event waits for it and is handled once, with no dead letter."""
    bus = await new_bus()
    attempts: list[int] = []

    @bus.subscribe("reaction_detected", group="g")
    async def needs_documents(event: BaseEvent, ctx: HandlerContext) -> None:
        attempts.append(1)
        if len(attempts) <= 8:
            raise StoreUnavailableError("mongodb", "connection refused")

    await bus.start()
    await bus.publish(reaction("1"))
    await wait_for(lambda: len(attempts) == 9, timeout=30)
    await asyncio.sleep(0.2)
    assert len(attempts) == 9
    assert await list_dead_letters(bus.db) == []


async def effects(bus: EventBus) -> list[tuple[str, str]]:
    async with bus.db.read() as conn:
        return [(r[0], r[1]) for r in await conn.execute(
            sa.text("SELECT grp, event_id FROM test_effects ORDER BY id"))]


async def test_poison_event_is_dead_lettered_and_replayable(new_bus: BusFactory) -> None:
    bus = await new_bus()
    async with bus.db.write() as conn:  # handler effects live in the database, transactionally
        await conn.execute(sa.text(
            "CREATE TABLE test_effects (id INTEGER PRIMARY KEY, grp TEXT, event_id TEXT)"
            if bus.db.is_sqlite else
            "CREATE TABLE test_effects (id SERIAL PRIMARY KEY, grp TEXT, event_id TEXT)"))
    poison = reaction("p", "poison")
    accept_poison = False
    poison_calls = 0

    async def record(group: str, event: BaseEvent, ctx: HandlerContext) -> None:
        await ctx.conn.execute(sa.text("INSERT INTO test_effects (grp, event_id) VALUES (:g, :e)"),
                               {"g": group, "e": event.event_id})

    @bus.subscribe("reaction_detected", group="g")
    async def picky(event: BaseEvent, ctx: HandlerContext) -> None:
        nonlocal poison_calls
        poison_calls += event.event_id == poison.event_id
        if event.event_id == poison.event_id and not accept_poison:
            raise ValueError("cannot digest this one")
        await record("g", event, ctx)

    @bus.subscribe("reaction_detected", group="other")
    async def audit(event: BaseEvent, ctx: HandlerContext) -> None:
        await record("other", event, ctx)

    await bus.start()
    after = [reaction("p", "next"), reaction("q", "x")]
    await bus.publish(poison)
    for event in after:
        await bus.publish(event)
    for _ in range(500):
        if len([e for g, e in await effects(bus) if g == "g"]) == 2:
            break
        await asyncio.sleep(0.02)
    assert sorted(e for g, e in await effects(bus) if g == "g") == sorted(
        e.event_id for e in after)
    letters = await list_dead_letters(bus.db)
    assert [(d.event_id, d.consumer_group, d.attempts) for d in letters] == [
        (poison.event_id, "g", 3)]
    assert "cannot digest this one" in letters[0].error
    await asyncio.sleep(0.2)
    assert poison_calls == 3  # exactly EVENTS_MAX_DELIVERIES calls, the batch's included

    accept_poison = True
    assert await replay_dead_letters(bus.db, None) == [letters[0].id]
    bus.notify()
    for _ in range(500):
        if ("g", poison.event_id) in await effects(bus):
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.3)
    done = await effects(bus)
    assert done.count(("g", poison.event_id)) == 1
    assert done.count(("other", poison.event_id)) == 1  # the other group skipped the replay
    assert poison_calls == 4  # the replay: one more call, which succeeded
    assert len(done) == 6
    assert await list_dead_letters(bus.db) == []


async def test_publish_in_a_rolled_back_transaction_publishes_nothing(
        new_bus: BusFactory) -> None:
    bus = await new_bus()
    got: list[str] = []

    @bus.subscribe("reaction_detected", group="g")
    async def handle(event: BaseEvent, ctx: HandlerContext) -> None:
        got.append(event.event_id)

    await bus.start()
    with pytest.raises(RuntimeError):
        async with bus.transaction() as tx:
            await tx.publish(reaction("5"))
            raise RuntimeError("business rule failed")
    committed = reaction("5", "kept")
    async with bus.transaction() as tx:
        await tx.publish(committed)
    await wait_for(lambda: len(got) == 1)
    await asyncio.sleep(0.2)
    assert got == [committed.event_id]


async def test_handler_follow_up_events_keep_causal_order(new_bus: BusFactory) -> None:
    bus = await new_bus()
    chain: list[tuple[str, str | None]] = []

    @bus.subscribe("reaction_detected", group="coordinator")
    async def award(event: BaseEvent, ctx: HandlerContext) -> None:
        await ctx.publish(event.follow(BesitosAwarded, payload=BesitosPayload(
            amount=1, reason="reaction", balance=1)))

    @bus.subscribe("*", group="observer")
    async def observe(event: BaseEvent, ctx: HandlerContext) -> None:
        chain.append((event.event_type, event.causation_id))

    await bus.start()
    cause = reaction("3")
    await bus.publish(cause)
    await wait_for(lambda: len(chain) == 2)
    assert chain == [("reaction_detected", None), ("besitos_awarded", cause.event_id)]


async def test_invalid_events_are_refused_at_publish(new_bus: BusFactory) -> None:
    bus = await new_bus()
    await bus.start(consume=False)

    with pytest.raises(EventError):
        await bus.publish(UserActivity.model_construct(
            event_type="no_such_event", user_id="1",
            payload=UserActivityPayload(activity="x")))
    with pytest.raises(ValueError, match="user_id"):
        reaction("")
    async with bus.db.read() as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(outbox))).scalar() == 0


async def test_stop_finishes_in_flight_handlers(new_bus: BusFactory) -> None:
    bus = await new_bus()
    started, finished = asyncio.Event(), []

    @bus.subscribe("reaction_detected", group="g")
    async def slow(event: BaseEvent, ctx: HandlerContext) -> None:
        started.set()
        await asyncio.sleep(0.3)
        finished.append(event.event_id)

    await bus.start()
    await bus.publish(reaction("1"))
    await asyncio.wait_for(started.wait(), 10)
    await bus.stop()
    assert len(finished) == 1


async def test_activity_subscriber_records_last_activity(new_bus: BusFactory) -> None:
    bus = await new_bus()
    register_activity(bus)
    async with bus.db.write() as conn:
        await conn.execute(user_profiles.insert().values(user_id="11", telegram_user_id=11))
    await bus.start()
    event = UserActivity(user_id="11", payload=UserActivityPayload(activity="menu"))
    await bus.publish(event)

    async def last_activity() -> object:
        async with bus.db.read() as conn:
            return (await conn.execute(sa.select(user_profiles.c.last_activity))).scalar()

    for _ in range(200):
        if await last_activity() is not None:
            break
        await asyncio.sleep(0.02)
    value = await last_activity()
    assert value is not None
    assert value.replace(tzinfo=None) == event.timestamp.replace(tzinfo=None)  # type: ignore[attr-defined]


async def test_events_of_an_update_unit_of_work_go_out_with_its_commit_only(
        new_bus: BusFactory) -> None:
    bus = await new_bus()
    got: list[str] = []

    @bus.subscribe("reaction_detected", group="g")
    async def handle(event: BaseEvent, ctx: HandlerContext) -> None:
        got.append(event.user_id or "")

    await bus.start()
    dropped = bus.db.unit_of_work()
    with opened(dropped):
        await bus.publish(reaction("1"))  # no conn: joins, not a commit of its own
        async with bus.transaction() as tx:
            await tx.publish(reaction("2"))
        await dropped.rollback()
    kept = bus.db.unit_of_work()
    with opened(kept):
        await bus.publish(reaction("3"))
        async with bus.transaction() as tx:
            await tx.publish(reaction("4"))
        await asyncio.sleep(0.3)  # the relay polls meanwhile: nothing is committed yet
        assert got == []
        await kept.commit()
    kept.committed()
    await wait_for(lambda: sorted(got) == ["3", "4"])
    await asyncio.sleep(0.2)
    assert sorted(got) == ["3", "4"]
