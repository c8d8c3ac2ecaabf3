"""Profile reads: a user's profile and subscriptions in one statement (the user context)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from yabot.storage.sql.database import Database
from yabot.storage.sql.tables import subscriptions, user_profiles, wallets


@dataclass(frozen=True, kw_only=True)
class SubscriptionRecord:
    plan_type: str
    status: str
    start_date: datetime
    end_date: datetime | None
    id: int | None = None  # the row: one per plan period


@dataclass(frozen=True, kw_only=True)
class ProfileRecord:
    user_id: str
    telegram_user_id: int
    username: str | None
    first_name: str | None
    last_name: str | None
    language_code: str | None
    registration_date: datetime | None
    last_activity: datetime | None
    is_active: bool
    subscriptions: tuple[SubscriptionRecord, ...]  # newest first
    balance: int = 0  # besitos (wallets row; 0 without one)


_PROFILE = [user_profiles.c[name] for name in (
    "user_id", "telegram_user_id", "username", "first_name", "last_name", "language_code",
    "registration_date", "last_activity", "is_active")]
_SUBSCRIPTION = [subscriptions.c[name] for name in (
    "plan_type", "status", "start_date", "end_date", "id")]
_BALANCE = (sa.select(wallets.c.balance).where(wallets.c.user_id == user_profiles.c.user_id)
            .scalar_subquery().label("balance"))
_CONTEXT = (
    sa.select(*_PROFILE, *_SUBSCRIPTION, _BALANCE)
    .select_from(user_profiles.outerjoin(
        subscriptions, subscriptions.c.user_id == user_profiles.c.user_id))
    .where(user_profiles.c.user_id == sa.bindparam("user_id"))
    .order_by(subscriptions.c.id.desc()))


_NAMES = [c.name for c in (*_PROFILE, *_SUBSCRIPTION)] + ["balance"]


async def get_profile(db: Database, user_id: str) -> ProfileRecord | None:
    """The profile with its subscriptions, or None for an unknown user (on SQLite, the hot
    path of every update, in one hop to the driver's thread)."""
    found = await db.fetch(_CONTEXT, {"user_id": user_id})
    rows = [dict(zip(_NAMES, r, strict=True)) for r in found.rows]
    if not rows:
        return None
    first = rows[0]
    subs = tuple(SubscriptionRecord(plan_type=r["plan_type"], status=r["status"],
                                    start_date=r["start_date"], end_date=r["end_date"],
                                    id=r["id"])
                 for r in rows if r["plan_type"] is not None)
    return ProfileRecord(
        user_id=first["user_id"], telegram_user_id=first["telegram_user_id"],
        username=first["username"], first_name=first["first_name"],
        last_name=first["last_name"], language_code=first["language_code"],
        registration_date=first["registration_date"], last_activity=first["last_activity"],
        is_active=bool(first["is_active"]), subscriptions=subs,
        balance=int(first["balance"] or 0))

