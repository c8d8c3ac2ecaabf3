"""The transactional outbox: events are rows written in the caller's transaction.

`Outbox` holds the SQL; `Relay` (in relay.py) moves committed rows to the transport.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.domain.clock import utcnow
from yabot.domain.events import BaseEvent
from yabot.events.retention import purge_older_than
from yabot.storage.sql.database import Database
from yabot.storage.sql.statements import Session
from yabot.storage.sql.tables import event_log, leases, outbox


@dataclass(frozen=True, kw_only=True)
class OutboxRow:
    id: int
    event_id: str
    event_type: str
    partition_key: str | None
    data: str
    sent: bool = False


class Outbox:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    async def add(conn: AsyncConnection, events: Sequence[BaseEvent]) -> None:
        """Insert events, and their audit rows, in the caller's transaction."""
        rows = [_rows(e) for e in events]
        await conn.execute(outbox.insert(), [r[0] for r in rows])
        await conn.execute(event_log.insert(), [r[1] for r in rows])

    async def add_own_transaction(self, events: Sequence[BaseEvent]) -> list[OutboxRow]:
        """Insert events in a transaction of their own (on SQLite in one thread hop); returns
        the committed rows, for the relay of this process."""
        pairs = [_rows(e) for e in events]
        rows = [r[0] for r in pairs]
        if not self.db.is_sqlite:
            async with self.db.write() as conn:
                ids = list((await conn.execute(
                    outbox.insert().returning(outbox.c.id, sort_by_parameter_order=True),
                    rows)).scalars())
                await conn.execute(event_log.insert(), [r[1] for r in pairs])
            return _committed(ids, rows)

        def insert(session: Session) -> list[int]:
            session.executemany(_INSERT_OUTBOX, rows)
            last = int(session.execute(_LAST_ROWID).scalar())
            session.executemany(_INSERT_EVENT_LOG, [r[1] for r in pairs])
            # one writer, AUTOINCREMENT: the rows of this statement got consecutive ids
            return list(range(last - len(rows) + 1, last + 1))

        return _committed(await self.db.transaction(insert), rows)

    async def pending(self, limit: int) -> list[OutboxRow]:
        """Oldest rows not yet handed to the transport (the partial index `ix_outbox_unsent`)."""
        return await self._select(_PENDING, limit=limit)

    async def after(self, cursor: int, limit: int) -> list[OutboxRow]:
        """Every row after `cursor`, sent or not, in id order: the replay window."""
        return await self._select(_AFTER, limit=limit, cursor=cursor)

    async def _select(self, query: sa.Select[Any], **params: int) -> list[OutboxRow]:
        found = await self.db.fetch(query, params)
        return [OutboxRow(id=r[0], event_id=r[1], event_type=r[2], partition_key=r[3],
                          data=r[4], sent=bool(r[5])) for r in found.rows]

    async def sent_after(self, cursor: int) -> list[tuple[int, str | None]]:
        """(id, partition key) of sent rows after `cursor`: what a transport must hold."""
        async with self.db.read() as conn:
            return [(r[0], r[1]) for r in await conn.execute(
                sa.select(outbox.c.id, outbox.c.partition_key)
                .where(outbox.c.sent.is_(True), outbox.c.id > cursor))]

    async def mark_sent(self, rows: Sequence[OutboxRow]) -> None:
        """Flag rows as handed over; they stay for the replay window (`purge_sent`)."""
        ids = [r.id for r in rows]
        if not ids:
            return
        now = utcnow()
        if self.db.is_sqlite:  # one thread hop: the relay holds the writer briefly
            marks = [{"row_id": i, "now": now} for i in ids]
            await self.db.transaction(lambda s: s.executemany(_MARK_SENT, marks))
            return
        async with self.db.write() as conn:
            await conn.execute(outbox.update().where(outbox.c.id.in_(ids))
                               .values(sent=True, sent_at=now))

    async def purge_sent(self, window: timedelta) -> int:
        """Delete rows sent longer than `window` ago, in short batches."""
        return await purge_older_than(self.db, outbox, outbox.c.sent_at, window)

    async def settle(self, event_ids: Sequence[str]) -> None:
        """Delete rows a non-durable transport has fully delivered (not rows queued again
        since, e.g. by a dead-letter replay)."""
        async with self.db.write() as conn:
            await conn.execute(outbox.delete().where(outbox.c.event_id.in_(list(event_ids)),
                                                     outbox.c.sent.is_(True)))

    async def reset_unsettled(self) -> None:
        """On start: rows sent but not settled before a restart are sent again."""
        async with self.db.write() as conn:
            await conn.execute(outbox.update().where(outbox.c.sent.is_(True)).values(sent=False))

    async def backlog(self) -> int:
        async with self.db.read() as conn:
            return int((await conn.execute(
                sa.select(sa.func.count()).select_from(outbox)
                .where(outbox.c.sent.is_(False)))).scalar_one())

    async def hold_lease(self, name: str, owner: str, ttl: float) -> bool:
        """Take or renew a named lease (one relay per deployment); True when held."""
        now = time.time()
        try:
            return await self._hold(name, owner, ttl, now)
        except IntegrityError:  # another process inserted it first
            return False

    async def _hold(self, name: str, owner: str, ttl: float, now: float) -> bool:
        async with self.db.write() as conn:
            row = (await conn.execute(sa.select(leases.c.owner, leases.c.expires_at)
                                      .where(leases.c.name == name).with_for_update())).first()
            if row is None:
                await conn.execute(leases.insert().values(name=name, owner=owner,
                                                          expires_at=now + ttl))
                return True
            if row[0] != owner and row[1] > now:
                return False
            await conn.execute(leases.update().where(leases.c.name == name)
                               .values(owner=owner, expires_at=now + ttl))
            return True

    async def drop_lease(self, name: str, owner: str) -> None:
        async with self.db.write() as conn:
            await conn.execute(leases.delete().where(leases.c.name == name,
                                                     leases.c.owner == owner))


_COLUMNS = (outbox.c.id, outbox.c.event_id, outbox.c.event_type, outbox.c.partition_key,
            outbox.c.data, outbox.c.sent)
_INSERT_OUTBOX = outbox.insert()
_INSERT_EVENT_LOG = event_log.insert()
_LAST_ROWID = sa.select(sa.func.last_insert_rowid())
_MARK_SENT = (outbox.update().where(outbox.c.id == sa.bindparam("row_id"))
              .values(sent=True, sent_at=sa.bindparam("now")))
_PENDING = (sa.select(*_COLUMNS).where(outbox.c.sent == sa.false()).order_by(outbox.c.id)
            .limit(sa.bindparam("limit")))
_AFTER = (sa.select(*_COLUMNS).where(outbox.c.id > sa.bindparam("cursor"))
          .order_by(outbox.c.id).limit(sa.bindparam("limit")))


def _rows(event: BaseEvent) -> tuple[dict[str, Any], dict[str, Any]]:
    """The outbox row and the event_log row of an event (serialized once)."""
    data = event.to_json()
    return (
        {"event_id": event.event_id, "event_type": event.event_type,
         "partition_key": event.user_id, "data": data},
        {"event_id": event.event_id, "event_type": event.event_type, "user_id": event.user_id,
         "correlation_id": event.correlation_id, "event_data": data,
         "timestamp": event.timestamp})


def _committed(ids: list[int], rows: list[dict[str, Any]]) -> list[OutboxRow]:
    return [OutboxRow(id=i, event_id=r["event_id"], event_type=r["event_type"],
                      partition_key=r["partition_key"], data=r["data"])
            for i, r in zip(ids, rows, strict=True)]

