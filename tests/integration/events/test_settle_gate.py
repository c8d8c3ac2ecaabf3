"""An event every group acks before the relay flags its row sent is still settled (memory
transport): the settle waits for the flag instead of missing the row."""

from __future__ import annotations

import sqlalchemy as sa

from yabot.domain.events import UserRegistered, UserRegisteredPayload
from yabot.events.outbox import Outbox, OutboxRow
from yabot.events.settle_gate import SettleGate
from yabot.storage.sql.database import Database
from yabot.storage.sql.tables import outbox


async def rows_left(db: Database) -> int:
    async with db.read() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(outbox)))
                   .scalar_one())


async def committed(box: Outbox, n: int) -> list[OutboxRow]:
    return await box.add_own_transaction([
        UserRegistered(user_id=str(i), payload=UserRegisteredPayload(telegram_user_id=i))
        for i in range(n)])


async def test_a_settle_before_the_flag_without_the_gate_leaves_the_row(db: Database) -> None:
    box = Outbox(db)
    rows = await committed(box, 2)
    await box.settle([r.event_id for r in rows])  # acked by every group first
    await box.mark_sent(rows)
    assert await rows_left(db) == 2  # the leak the gate exists for


async def test_a_settle_before_the_flag_waits_for_it(db: Database) -> None:
    box = Outbox(db)
    gate = SettleGate(box)
    rows = await committed(box, 3)
    gate.sending(rows)
    await gate.settle([rows[0].event_id, rows[1].event_id])
    assert await rows_left(db) == 3  # not flagged yet: nothing deleted, nothing missed
    await box.mark_sent(rows)
    await gate.flagged(rows)
    assert await rows_left(db) == 1  # the third was never acked
    await gate.settle([rows[2].event_id])
    assert await rows_left(db) == 0


async def test_a_row_queued_again_is_not_settled_by_an_old_ack(db: Database) -> None:
    box = Outbox(db)
    gate = SettleGate(box)
    rows = await committed(box, 1)
    await gate.settle([rows[0].event_id])  # unknown to the gate, unsent in the outbox
    assert await rows_left(db) == 1
