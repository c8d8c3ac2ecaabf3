"""Per-user economy state: event counters, achievement unlocks, trivia answers, story
milestones, fragment unlocks, and read-only checks the economy makes in a transaction."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.domain.clock import as_utc
from yabot.storage.sql.dialect import insert_for
from yabot.storage.sql.tables import reaction_rewards, subscriptions, user_profiles
from yabot.storage.sql.tables_economy import (
    achievement_unlocks,
    event_counters,
    fragment_unlocks,
    story_milestones,
    trivia_answers,
)


async def user_exists(conn: AsyncConnection, user_id: str) -> bool:
    return (await conn.execute(sa.select(user_profiles.c.user_id)
                               .where(user_profiles.c.user_id == user_id))).first() is not None


async def is_vip(conn: AsyncConnection, user_id: str, at: datetime) -> bool:
    """The newest plan is an active VIP one not yet ended (read only, no expiry write)."""
    row = (await conn.execute(
        sa.select(subscriptions.c.plan_type, subscriptions.c.status, subscriptions.c.end_date)
        .where(subscriptions.c.user_id == user_id)
        .order_by(subscriptions.c.id.desc()).limit(1))).first()
    if row is None or row.plan_type != "vip" or row.status != "active":
        return False
    return row.end_date is None or as_utc(row.end_date) > at


async def bump_counter(conn: AsyncConnection, user_id: str, event_type: str) -> int:
    """Count one more event of this type for the user; returns the new count."""
    stmt = insert_for(conn, event_counters).values(user_id=user_id, event_type=event_type,
                                                   count=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[event_counters.c.user_id, event_counters.c.event_type],
        set_={"count": event_counters.c.count + 1})
    return int((await conn.execute(stmt.returning(event_counters.c.count))).scalar_one())


async def unlock_achievement(conn: AsyncConnection, user_id: str, achievement_id: str,
                             event_id: str, at: datetime) -> bool:
    """True when this call unlocked it (once per user and achievement)."""
    stmt = insert_for(conn, achievement_unlocks).values(
        user_id=user_id, achievement_id=achievement_id, event_id=event_id, unlocked_at=at)
    row = (await conn.execute(stmt.on_conflict_do_nothing()
                              .returning(achievement_unlocks.c.user_id))).first()
    return row is not None


async def achievements_of(conn: AsyncConnection, user_id: str) -> dict[str, datetime]:
    rows = await conn.execute(sa.select(achievement_unlocks.c.achievement_id,
                                        achievement_unlocks.c.unlocked_at)
                              .where(achievement_unlocks.c.user_id == user_id))
    return {r.achievement_id: as_utc(r.unlocked_at) for r in rows}


async def record_answer(conn: AsyncConnection, user_id: str, question_id: str, option: int,
                        correct: bool, at: datetime) -> bool:
    """True when this is the user's first answer to the question (later ones are ignored)."""
    stmt = insert_for(conn, trivia_answers).values(
        user_id=user_id, question_id=question_id, option=option, correct=correct,
        answered_at=at)
    row = (await conn.execute(stmt.on_conflict_do_nothing()
                              .returning(trivia_answers.c.user_id))).first()
    return row is not None


async def answers_of(conn: AsyncConnection, user_id: str) -> dict[str, tuple[int, bool]]:
    rows = await conn.execute(sa.select(trivia_answers.c.question_id, trivia_answers.c.option,
                                        trivia_answers.c.correct)
                              .where(trivia_answers.c.user_id == user_id))
    return {r.question_id: (int(r.option), bool(r.correct)) for r in rows}


async def add_milestone(conn: AsyncConnection, user_id: str, kind: str, key: str,
                        event_id: str) -> bool:
    """True the first time (user, kind, key) is recorded."""
    stmt = insert_for(conn, story_milestones).values(user_id=user_id, kind=kind, key=key,
                                                     event_id=event_id)
    row = (await conn.execute(stmt.on_conflict_do_nothing()
                              .returning(story_milestones.c.user_id))).first()
    return row is not None


async def unlock_fragment(conn: AsyncConnection, user_id: str, fragment_id: str,
                          event_id: str) -> bool:
    stmt = insert_for(conn, fragment_unlocks).values(user_id=user_id, fragment_id=fragment_id,
                                                     event_id=event_id)
    row = (await conn.execute(stmt.on_conflict_do_nothing()
                              .returning(fragment_unlocks.c.user_id))).first()
    return row is not None


async def fragment_unlocked(conn: AsyncConnection, user_id: str, fragment_id: str) -> bool:
    return (await conn.execute(sa.select(fragment_unlocks.c.user_id).where(
        fragment_unlocks.c.user_id == user_id,
        fragment_unlocks.c.fragment_id == fragment_id))).first() is not None


async def reaction_rewards_since(conn: AsyncConnection, user_id: str, since: datetime) -> int:
    """How many reaction rewards the user got since `since` (the daily cap counts these)."""
    value = (await conn.execute(sa.select(sa.func.count()).select_from(reaction_rewards).where(
        reaction_rewards.c.user_id == user_id, reaction_rewards.c.created_at >= since))).scalar()
    return int(value or 0)
