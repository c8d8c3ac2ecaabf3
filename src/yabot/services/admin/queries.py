"""AdminQueries: the read-only queries behind the admin panel's dashboard and lists.

Nothing here writes. Page sizes and limits are clamped, so no request reads unbounded rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from yabot.storage.sql.database import Database
from yabot.storage.sql.tables import (
    dead_letters,
    event_log,
    subscriptions,
    user_profiles,
    wallets,
)

MAX_PAGE_SIZE = 100
MAX_EVENTS = 200


def clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


@dataclass(frozen=True, kw_only=True)
class Totals:
    users: int
    new_today: int
    active_vip: int
    besitos: int
    dead_letters: int


@dataclass(frozen=True, kw_only=True)
class UserRow:
    user_id: str
    username: str | None
    first_name: str | None
    registration_date: datetime | None


@dataclass(frozen=True, kw_only=True)
class EventRow:
    event_id: str
    event_type: str
    user_id: str | None
    timestamp: datetime
    payload: str  # compact JSON, shortened


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _payload(data: str, limit: int = 300) -> str:
    try:
        text = json.dumps(json.loads(data).get("payload", {}), ensure_ascii=False,
                          separators=(",", ":"))
    except (ValueError, AttributeError):
        text = data
    return text if len(text) <= limit else text[:limit] + "…"


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class AdminQueries:
    def __init__(self, *, db: Database) -> None:
        self.db = db

    async def totals(self, now: datetime | None = None) -> Totals:
        now = now or datetime.now(UTC)
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
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

    async def events_per_minute(self, now: datetime | None = None,
                                minutes: int = 60) -> list[int]:
        """Events logged in each of the last `minutes` minutes, oldest first."""
        now = now or datetime.now(UTC)
        start = now - timedelta(minutes=minutes)
        ts = event_log.c.timestamp
        bucket: Any
        if self.db.is_sqlite:
            bucket = sa.cast((sa.func.julianday(ts) - sa.func.julianday(start)) * 1440,
                             sa.Integer)
        else:
            bucket = sa.func.floor(sa.extract("epoch", ts - start) / 60)
        query = (sa.select(bucket.label("b"), sa.func.count()).where(ts >= start, ts <= now)
                 .group_by("b"))
        counts = [0] * minutes
        async with self.db.read() as conn:
            for b, n in (await conn.execute(query)).all():
                counts[clamp(int(b), 0, minutes - 1)] += int(n)
        return counts

    async def search_users(self, query: str, *, page: int = 1,
                           page_size: int = 25) -> tuple[list[UserRow], int]:
        """Users by id, Telegram id or username prefix (all when empty), newest first;
        returns one page and the total number of matches."""
        page_size, page = clamp(page_size, 1, MAX_PAGE_SIZE), max(1, page)
        p = user_profiles.c
        where: Any = sa.true()
        text = query.strip().lstrip("@")
        if text.isdigit():
            where = sa.or_(p.user_id == text, p.telegram_user_id == int(text[:18]))
        elif text:
            where = sa.func.lower(p.username).like(_like(text.lower()), escape="\\")
        rows_q = (sa.select(p.user_id, p.username, p.first_name, p.registration_date)
                  .where(where).order_by(p.registration_date.desc(), p.user_id)
                  .limit(page_size).offset((page - 1) * page_size))
        async with self.db.read() as conn:
            total = int((await conn.execute(
                sa.select(sa.func.count()).select_from(user_profiles).where(where))).scalar()
                or 0)
            rows = (await conn.execute(rows_q)).mappings().all()
        return [UserRow(user_id=r["user_id"], username=r["username"], first_name=r["first_name"],
                        registration_date=_utc(r["registration_date"])
                        if r["registration_date"] else None) for r in rows], total

    async def recent_events(self, *, event_type: str | None = None, user_id: str | None = None,
                            limit: int = 50) -> list[EventRow]:
        """The event log, newest first, optionally of one type and/or one user."""
        e = event_log.c
        query = (sa.select(e.event_id, e.event_type, e.user_id, e.timestamp, e.event_data)
                 .order_by(e.timestamp.desc()).limit(clamp(limit, 1, MAX_EVENTS)))
        if event_type:
            query = query.where(e.event_type == event_type)
        if user_id:
            query = query.where(e.user_id == user_id)
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [EventRow(event_id=r["event_id"], event_type=r["event_type"],
                         user_id=r["user_id"], timestamp=_utc(r["timestamp"]),
                         payload=_payload(r["event_data"])) for r in rows]
