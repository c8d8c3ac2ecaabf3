"""Per-user ordering on a real store: buffering, reordering, gap alert and audit, late events."""

from __future__ import annotations

import sqlalchemy as sa

from tests.integration.services.ledger_env import Env
from yabot.domain.events import BaseEvent, UserActivity, UserActivityPayload
from yabot.events.handler_context import Publisher
from yabot.events.user_order import OrderingConfig, PerUserOrder
from yabot.storage.sql.tables import ordering_buffer, ordering_gaps


def ev(user: str, seq: int | None) -> BaseEvent:
    return UserActivity(user_id=user, sequence=seq,
                        payload=UserActivityPayload(activity=f"a{seq}"))


async def test_reorders_and_closes_gaps(env: Env) -> None:
    seen: list[tuple[str, int | None]] = []

    async def record(event: BaseEvent, tx: Publisher) -> None:
        assert tx.conn is not None
        seen.append((str(event.user_id), event.sequence))

    order = PerUserOrder(group="g", bus=env.bus, dispatch=record,
                         config=OrderingConfig(gap_timeout=0.0, sweep_interval=3600))

    async def deliver(*events: BaseEvent) -> None:
        for event in events:
            async with env.bus.transaction() as tx:
                await order.handle(event, tx)

    await deliver(ev("u", 1), ev("u", 3), ev("u", 4), ev("v", 2), ev("u", None))
    assert seen == [("u", 1), ("u", None)]  # 3, 4 wait for 2; v waits for its 1
    assert await env.scalar(sa.select(sa.func.count()).select_from(ordering_buffer)) == 3
    await deliver(ev("u", 2))
    assert seen[2:] == [("u", 2), ("u", 3), ("u", 4)]
    # u: 5 never comes; 6 waits until the sweep gives up on 5 (alert + audit)
    await deliver(ev("u", 6))
    assert seen[-1] == ("u", 4)
    assert await order.sweep() == 2  # u (5 missing) and v (1 missing)
    assert ("u", 6) in seen and ("v", 2) in seen
    async with env.stores.sql.read() as conn:
        gaps = (await conn.execute(sa.select(
            ordering_gaps.c.user_id, ordering_gaps.c.kind, ordering_gaps.c.first_missing,
            ordering_gaps.c.last_missing).order_by(ordering_gaps.c.user_id))).all()
    assert [tuple(g) for g in gaps] == [("u", "gap", 5, 5), ("v", "gap", 1, 1)]
    # the missing event finally arrives: handled, and audited as late
    await deliver(ev("u", 5), ev("u", 7))
    assert seen[-2:] == [("u", 5), ("u", 7)]
    assert await env.scalar(sa.select(sa.func.count()).select_from(ordering_gaps)
                            .where(ordering_gaps.c.kind == "late")) == 1
    assert await env.scalar(sa.select(sa.func.count()).select_from(ordering_buffer)) == 0
    await order.stop()


async def test_sweep_waits_for_the_timeout(env: Env) -> None:
    seen: list[int | None] = []

    async def record(event: BaseEvent, tx: Publisher) -> None:
        seen.append(event.sequence)

    order = PerUserOrder(group="g", bus=env.bus, dispatch=record,
                         config=OrderingConfig(gap_timeout=3600, sweep_interval=3600))
    async with env.bus.transaction() as tx:
        await order.handle(ev("u", 2), tx)
    assert await order.sweep() == 0 and seen == []
    async with env.bus.transaction() as tx:
        await order.handle(ev("u", 1), tx)
    assert seen == [1, 2]
    await order.stop()
