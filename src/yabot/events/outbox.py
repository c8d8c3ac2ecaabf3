"""The transactional outbox: events are rows written in the caller's transaction.

`Outbox` holds the SQL; `Relay` (in relay.py) moves committed rows to the transport.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.domain.events import BaseEvent
from yabot.storage.sql.database import Database
from yabot.storage.sql.tables import event_log, leases, outbox


@dataclass(frozen=True, kw_only=True)
class OutboxRow:
    id: int
    event_id: str
    event_type: str
    partition_key: str | None
    data: str


class Outbox:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    async def add(conn: AsyncConnection, events: Sequence[BaseEvent]) -> None:
        """Insert events in the caller's transaction (they commit with its state)."""
        await conn.execute(outbox.insert(), [
            {"event_id": e.event_id, "event_type": e.event_type, "partition_key": e.user_id,
             "data": e.to_json()} for e in events])

    async def add_own_transaction(self, events: Sequence[BaseEvent]) -> None:
        """Insert events in a transaction of their own (on SQLite in one thread hop)."""
        if not self.db.is_sqlite:
            async with self.db.write() as conn:
                await self.add(conn, events)
            return
        rows = [(e.event_id, e.event_type, e.user_id, e.to_json()) for e in events]
        await self.db.run_sqlite(lambda c: c.executemany(
            "INSERT INTO outbox (event_id, event_type, partition_key, data) VALUES (?, ?, ?, ?)",
            rows), write=True)

    async def pending(self, limit: int) -> list[OutboxRow]:
        """Oldest rows not yet handed to the transport."""
        query = (sa.select(outbox.c.id, outbox.c.event_id, outbox.c.event_type,
                           outbox.c.partition_key, outbox.c.data)
                 .where(outbox.c.sent.is_(False)).order_by(outbox.c.id).limit(limit))
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [OutboxRow(id=r[0], event_id=r[1], event_type=r[2], partition_key=r[3],
                          data=r[4]) for r in rows]

    async def mark_sent(self, rows: Sequence[OutboxRow], *, delete: bool) -> None:
        """Record sent rows in the audit log, then delete them (or flag them as sent)."""
        ids = [r.id for r in rows]
        audit = [_audit(r) for r in rows]
        if self.db.is_sqlite:  # one thread hop: the relay must hold the writer briefly
            await self.db.run_sqlite(lambda c: _mark_sent_sqlite(c, audit, ids, delete),
                                     write=True)
            return
        async with self.db.write() as conn:
            await conn.execute(self._audit_insert(), audit)
            if delete:
                await conn.execute(outbox.delete().where(outbox.c.id.in_(ids)))
            else:
                await conn.execute(outbox.update().where(outbox.c.id.in_(ids)).values(sent=True))

    def _audit_insert(self) -> sa.Insert:
        if self.db.is_sqlite:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            return sqlite_insert(event_log).on_conflict_do_nothing()
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(event_log).on_conflict_do_nothing()

    async def settle(self, event_ids: Sequence[str]) -> None:
        """Delete rows a non-durable transport has fully delivered."""
        async with self.db.write() as conn:
            await conn.execute(outbox.delete().where(outbox.c.event_id.in_(list(event_ids))))

    async def reset_unsettled(self) -> None:
        """On start: rows sent but not settled before a restart are sent again."""
        async with self.db.write() as conn:
            await conn.execute(outbox.update().where(outbox.c.sent.is_(True)).values(sent=False))

    async def backlog(self) -> int:
        async with self.db.read() as conn:
            return int((await conn.execute(
                sa.select(sa.func.count()).select_from(outbox)
                .where(outbox.c.sent.is_(False)))).scalar_one())

    async def purge_event_log(self, retention: timedelta) -> int:
        cutoff = datetime.now(UTC) - retention
        async with self.db.write() as conn:
            result = await conn.execute(event_log.delete().where(event_log.c.timestamp < cutoff))
        return int(result.rowcount)

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


def _mark_sent_sqlite(conn: sqlite3.Connection, audit: list[dict[str, object]],
                      ids: list[int], delete: bool) -> None:
    rows = [{**a, "timestamp": _sqlite_time(a["timestamp"])} for a in audit]
    conn.executemany(
        "INSERT INTO event_log (event_id, event_type, user_id, correlation_id, event_data, "
        "timestamp) VALUES (:event_id, :event_type, :user_id, :correlation_id, :event_data, "
        ":timestamp) ON CONFLICT DO NOTHING", rows)
    marks = ",".join("?" * len(ids))
    if delete:
        conn.execute(f"DELETE FROM outbox WHERE id IN ({marks})", ids)  # noqa: S608
    else:
        conn.execute(f"UPDATE outbox SET sent = 1 WHERE id IN ({marks})", ids)  # noqa: S608


def _sqlite_time(value: object) -> str:
    """SQLAlchemy's SQLite DATETIME text format (UTC), so both paths compare alike."""
    assert isinstance(value, datetime)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _audit(row: OutboxRow) -> dict[str, object]:
    event = json.loads(row.data)
    return {"event_id": row.event_id, "event_type": row.event_type, "user_id": row.partition_key,
            "correlation_id": event.get("correlation_id"), "event_data": row.data,
            "timestamp": datetime.fromisoformat(event["timestamp"])}
