"""The admin panel's read-only queries (dashboard totals, event rates, user search, event
log) and the dead-letter reads the API needs. Nothing here writes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from yabot.domain.clock import as_utc_or_none
from yabot.domain.views import Totals, UserRow
from yabot.storage.sql.database import Database
from yabot.storage.sql.tables import dead_letters, event_log, subscriptions, user_profiles, wallets


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class AdminQueryRepository:
    """Implements `services.admin.ports.QueryStore`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def totals(self, now: datetime, midnight: datetime) -> Totals:
        s = subscriptions.c
        vip = sa.select(sa.func.count(sa.distinct(s.user_id))).where(
            s.plan_type == "vip", s.status == "active",
            sa.or_(s.end_date.is_(None), s.end_date > now))
        queries = [
            sa.select(sa.func.count()).select_from(user_profiles),
            sa.select(sa.func.count()).where(user_profiles.c.registration_date >= midnight),
            vip,
            sa.select(sa.func.coalesce(sa.func.sum(wallets.c.balance), 0)),
            sa.select(sa.func.count()).where(dead_letters.c.replayed_at.is_(None)),
        ]
        async with self.db.read() as conn:
            values = [int((await conn.execute(q)).scalar() or 0) for q in queries]
        return Totals(users=values[0], new_today=values[1], active_vip=values[2],
                      besitos=values[3], dead_letters=values[4])

    async def events_per_minute(self, start: datetime, now: datetime) -> list[tuple[int, int]]:
        """(minute since `start`, events logged in it) for the minutes that had any."""
        ts = event_log.c.timestamp
        bucket: Any
        if self.db.is_sqlite:
            bucket = sa.cast((sa.func.julianday(ts) - sa.func.julianday(start)) * 1440,
                             sa.Integer)
        else:
            bucket = sa.func.floor(sa.extract("epoch", ts - start) / 60)
        query = (sa.select(bucket.label("b"), sa.func.count()).where(ts >= start, ts <= now)
                 .group_by("b"))
        async with self.db.read() as conn:
            return [(int(b), int(n)) for b, n in (await conn.execute(query)).all()]

    async def search_users(self, text: str, limit: int, offset: int) -> tuple[list[UserRow], int]:
        """Users by id, Telegram id or username prefix (all when empty), newest first."""
        p = user_profiles.c
        where: Any = sa.true()
        if text.isdigit():
            where = sa.or_(p.user_id == text, p.telegram_user_id == int(text[:18]))
        elif text:
            where = sa.func.lower(p.username).like(_like(text.lower()), escape="\\")
        rows_q = (sa.select(p.user_id, p.username, p.first_name, p.registration_date)
                  .where(where).order_by(p.registration_date.desc(), p.user_id)
                  .limit(limit).offset(offset))
        async with self.db.read() as conn:
            total = int((await conn.execute(
                sa.select(sa.func.count()).select_from(user_profiles).where(where))).scalar()
                or 0)
            rows = (await conn.execute(rows_q)).mappings().all()
        return [UserRow(user_id=r["user_id"], username=r["username"], first_name=r["first_name"],
                        registration_date=as_utc_or_none(r["registration_date"]))
                for r in rows], total

    async def recent_events(self, event_type: str | None, user_id: str | None,
                            limit: int) -> list[Mapping[str, Any]]:
        """The event log, newest first: event_id, event_type, user_id, timestamp, event_data."""
        e = event_log.c
        query = (sa.select(e.event_id, e.event_type, e.user_id, e.timestamp, e.event_data)
                 .order_by(e.timestamp.desc()).limit(limit))
        if event_type:
            query = query.where(e.event_type == event_type)
        if user_id:
            query = query.where(e.user_id == user_id)
        async with self.db.read() as conn:
            return [dict(r) for r in (await conn.execute(query)).mappings().all()]


class DeadLetterRepository:
    """Implements `services.admin.ports.DeadLetterStore` (listing and replaying are the event
    bus's own: `events.dead_letter_queue`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def pending_count(self) -> int:
        query = (sa.select(sa.func.count()).select_from(dead_letters)
                 .where(dead_letters.c.replayed_at.is_(None)))
        async with self.db.read() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def find(self, dead_letter_id: int) -> Mapping[str, Any] | None:
        query = sa.select(dead_letters).where(dead_letters.c.id == dead_letter_id)
        async with self.db.read() as conn:
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else dict(row)
