"""Profile reads on every relational backend (SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from yabot.storage.sql.database import Database
from yabot.storage.sql.migrate import migrate
from yabot.storage.sql.profiles import get_profile
from yabot.storage.sql.tables import subscriptions, user_profiles


async def test_profile_with_subscriptions_newest_first(relational_url: str) -> None:
    db = Database(relational_url)
    try:
        await migrate(db)
        start = datetime(2026, 1, 1, tzinfo=UTC)
        async with db.write() as conn:
            await conn.execute(user_profiles.insert(), [
                {"user_id": "1", "telegram_user_id": 1, "username": "ana"},
                {"user_id": "2", "telegram_user_id": 2, "username": None}])
            await conn.execute(subscriptions.insert(), [
                {"user_id": "1", "plan_type": "premium", "status": "expired",
                 "start_date": start, "end_date": start + timedelta(days=30)},
                {"user_id": "1", "plan_type": "vip", "status": "active",
                 "start_date": start + timedelta(days=31), "end_date": None}])
        ana = await get_profile(db, "1")
        assert ana is not None
        assert (ana.username, ana.telegram_user_id, ana.is_active) == ("ana", 1, True)
        assert [(s.plan_type, s.status) for s in ana.subscriptions] == [
            ("vip", "active"), ("premium", "expired")]
        newest, oldest = ana.subscriptions
        assert newest.start_date.replace(tzinfo=None) == datetime(2026, 2, 1)
        assert newest.end_date is None
        assert oldest.end_date is not None
        assert oldest.end_date.replace(tzinfo=None) == datetime(2026, 1, 31)
        assert ana.registration_date is not None
        plain = await get_profile(db, "2")
        assert plain is not None
        assert plain.subscriptions == ()
        assert await get_profile(db, "nobody") is None
    finally:
        await db.dispose()
