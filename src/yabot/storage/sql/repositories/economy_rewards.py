"""Daily missions and gifts, lifetime earnings and the weekly ranking (SQL)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.domain.clock import as_utc
from yabot.domain.economy import MissionRow
from yabot.storage.sql.dialect import insert_for
from yabot.storage.sql.tables import besitos_ledger, user_profiles
from yabot.storage.sql.tables_economy import daily_gifts, user_missions

# positive ledger entries that are not earnings: a released auction hold gives back
_NOT_EARNED = "auction:%"


def _mission(r: sa.Row[tuple[object, ...]]) -> MissionRow:
    m = r._mapping
    return MissionRow(mission_id=m["mission_id"], name=m["name"], event_type=m["event_type"],
                      target=int(m["target"]), progress=int(m["progress"]),
                      reward=int(m["reward"]), status=m["status"],
                      expires_at=as_utc(m["expires_at"]))


async def assign_missions(conn: AsyncConnection, user_id: str, day: str,
                          rows: list[MissionRow]) -> list[str]:
    """Insert the day's missions that are not there yet; returns the ids newly assigned."""
    assigned: list[str] = []
    for row in rows:
        stmt = insert_for(conn, user_missions).values(
            user_id=user_id, day=day, mission_id=row.mission_id, name=row.name,
            event_type=row.event_type, target=row.target, progress=0, reward=row.reward,
            status="active", expires_at=row.expires_at)
        if (await conn.execute(stmt.on_conflict_do_nothing()
                                .returning(user_missions.c.mission_id))).first():
            assigned.append(row.mission_id)
    return assigned


async def missions_of(conn: AsyncConnection, user_id: str, day: str) -> list[MissionRow]:
    rows = await conn.execute(sa.select(user_missions).where(
        user_missions.c.user_id == user_id, user_missions.c.day == day)
        .order_by(user_missions.c.mission_id))
    return [_mission(r) for r in rows]


async def advance_missions(conn: AsyncConnection, user_id: str, day: str, event_type: str,
                           at: datetime) -> list[MissionRow]:
    """Count one event towards the day's active missions on it; returns those it completed."""
    base = (user_missions.c.user_id == user_id, user_missions.c.day == day,
            user_missions.c.event_type == event_type, user_missions.c.status == "active",
            user_missions.c.expires_at > at)
    await conn.execute(user_missions.update().where(*base)
                       .values(progress=user_missions.c.progress + 1))
    done = await conn.execute(
        user_missions.update()
        .where(*base, user_missions.c.progress >= user_missions.c.target)
        .values(status="completed", completed_at=at).returning(*user_missions.c))
    return [_mission(r) for r in done]


async def expire_missions(conn: AsyncConnection, now: datetime) -> int:
    """Mark active missions whose day has ended `expired`; returns how many."""
    result = await conn.execute(user_missions.update().where(
        user_missions.c.status == "active", user_missions.c.expires_at <= now)
        .values(status="expired"))
    return int(result.rowcount or 0)


async def recent_gifts(conn: AsyncConnection, user_id: str,
                       limit: int = 40) -> list[tuple[str, int, bool]]:
    """(day, streak, recovered) of the newest gifts, newest first."""
    rows = await conn.execute(sa.select(daily_gifts.c.day, daily_gifts.c.streak,
                                        daily_gifts.c.recovered)
                              .where(daily_gifts.c.user_id == user_id)
                              .order_by(daily_gifts.c.day.desc()).limit(limit))
    return [(r.day, int(r.streak), bool(r.recovered)) for r in rows]


async def record_gift(conn: AsyncConnection, user_id: str, day: str, amount: int, streak: int,
                      recovered: bool, at: datetime) -> bool:
    """True when this is the day's first gift for the user."""
    stmt = insert_for(conn, daily_gifts).values(user_id=user_id, day=day, amount=amount,
                                                streak=streak, recovered=recovered,
                                                claimed_at=at)
    row = (await conn.execute(stmt.on_conflict_do_nothing()
                              .returning(daily_gifts.c.user_id))).first()
    return row is not None


def _earned_filter() -> tuple[sa.ColumnElement[bool], ...]:
    return (besitos_ledger.c.amount > 0, sa.not_(besitos_ledger.c.reason.like(_NOT_EARNED)))


async def lifetime_earned(conn: AsyncConnection, user_id: str) -> int:
    value = (await conn.execute(sa.select(sa.func.coalesce(sa.func.sum(besitos_ledger.c.amount),
                                                           0))
                                .where(besitos_ledger.c.user_id == user_id,
                                       *_earned_filter()))).scalar()
    return int(value or 0)


async def top_earners(conn: AsyncConnection, since: datetime,
                      limit: int) -> list[tuple[str, str | None, int]]:
    """(user_id, display name, earned since `since`), best first (ties by user id)."""
    earned = sa.func.sum(besitos_ledger.c.amount).label("earned")
    name = sa.func.coalesce(user_profiles.c.first_name, user_profiles.c.username)
    stmt = (sa.select(besitos_ledger.c.user_id, name.label("name"), earned)
            .join(user_profiles, user_profiles.c.user_id == besitos_ledger.c.user_id)
            .where(besitos_ledger.c.created_at >= since, *_earned_filter())
            .group_by(besitos_ledger.c.user_id, user_profiles.c.first_name,
                      user_profiles.c.username)
            .order_by(earned.desc(), besitos_ledger.c.user_id).limit(limit))
    return [(r.user_id, r.name, int(r.earned)) for r in await conn.execute(stmt)]
