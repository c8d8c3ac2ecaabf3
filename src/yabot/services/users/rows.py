"""Relational rows of a user: insert the profile, delete everything a user owns, views."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.domain.events import UserRegistered, UserRegisteredPayload
from yabot.domain.views import Profile, TelegramUser
from yabot.services.subscriptions.service import as_utc
from yabot.storage.sql.database import Database
from yabot.storage.sql.profiles import ProfileRecord
from yabot.storage.sql.tables import (
    besitos_ledger,
    subscription_notices,
    subscriptions,
    user_profiles,
    wallets,
    workflows,
)

PROFILE_FIELDS = ("username", "first_name", "last_name", "language_code")
_EXISTS = sa.select(user_profiles.c.user_id).where(
    user_profiles.c.user_id == sa.bindparam("user_id"))


def upsert_dialect(db: Database) -> Any:
    """The dialect `insert` with `on_conflict_do_nothing` for this backend."""
    return sqlite_insert if db.is_sqlite else pg_insert


async def profile_exists(db: Database, user_id: str) -> bool:
    """One hop to the driver's thread on SQLite."""
    return (await db.fetch(_EXISTS, {"user_id": user_id})).first() is not None


async def insert_profile(db: Database, conn: AsyncConnection, tg: TelegramUser) -> bool:
    """Insert the profile unless it exists; True when this call inserted it."""
    values = {name: getattr(tg, name) for name in PROFILE_FIELDS}
    stmt = (upsert_dialect(db)(user_profiles)
            .values(user_id=str(tg.id), telegram_user_id=tg.id, **values)
            .on_conflict_do_nothing().returning(user_profiles.c.user_id))
    return (await conn.execute(stmt)).first() is not None


async def delete_user_rows(conn: AsyncConnection, user_id: str) -> bool:
    """Delete the profile and what hangs off it: subscriptions (and their notices), the
    wallet, the user's ledger entries and finished workflow rows. False: no such user.

    Ledger entries are removed, not anonymised: reasons and idempotency keys may name the
    user, and the wallet they explain is gone too (see docs/architecture.md).
    """
    ids = sa.select(subscriptions.c.id).where(subscriptions.c.user_id == user_id)
    await conn.execute(subscription_notices.delete()
                       .where(subscription_notices.c.subscription_id.in_(ids)))
    await conn.execute(subscriptions.delete().where(subscriptions.c.user_id == user_id))
    await conn.execute(wallets.delete().where(wallets.c.user_id == user_id))
    await conn.execute(besitos_ledger.delete().where(besitos_ledger.c.user_id == user_id))
    await conn.execute(workflows.delete().where(workflows.c.user_id == user_id,
                                                workflows.c.kind == "create_user"))
    gone = await conn.execute(user_profiles.delete().where(user_profiles.c.user_id == user_id)
                              .returning(user_profiles.c.user_id))
    return gone.first() is not None


def registered_event(tg: TelegramUser) -> UserRegistered:
    return UserRegistered(user_id=str(tg.id), payload=UserRegisteredPayload(
        telegram_user_id=tg.id, **{name: getattr(tg, name) for name in PROFILE_FIELDS}))


def profile_view(record: ProfileRecord) -> Profile:
    return Profile(
        user_id=record.user_id, telegram_user_id=record.telegram_user_id,
        username=record.username, first_name=record.first_name, last_name=record.last_name,
        language_code=record.language_code,
        registration_date=as_utc(record.registration_date),
        last_activity=as_utc(record.last_activity), is_active=record.is_active)
