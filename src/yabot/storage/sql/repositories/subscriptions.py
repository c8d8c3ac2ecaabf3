"""Subscription rows (one per plan period, newest = current) and the expiry notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from yabot.domain.errors import NotFoundError
from yabot.storage.sql.database import Database
from yabot.storage.sql.dialect import insert_for
from yabot.storage.sql.profiles import ProfileRecord, SubscriptionRecord, get_profile
from yabot.storage.sql.repositories.base import Transaction
from yabot.storage.sql.tables import subscription_notices, subscriptions, user_profiles

_S = subscriptions.c


@dataclass(frozen=True, kw_only=True)
class Expiring:
    """An active paid plan about to end, not yet noticed."""

    id: int
    user_id: str
    plan_type: str
    end_date: datetime


class SubscriptionRepository:
    """Implements `services.subscriptions.ports.SubscriptionStore`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def profile(self, user_id: str) -> ProfileRecord | None:
        """The profile with its subscriptions (newest first), or None."""
        return await get_profile(self.db, user_id)

    async def current_for_update(self, tx: Transaction,
                                 user_id: str) -> SubscriptionRecord | None:
        """Lock the profile (PostgreSQL) and return the newest subscription row, if any;
        NotFoundError("user") without a profile."""
        found = (await tx.conn.execute(sa.select(user_profiles.c.user_id)
                                       .where(user_profiles.c.user_id == user_id)
                                       .with_for_update())).first()
        if found is None:
            raise NotFoundError("user", user_id)
        row = (await tx.conn.execute(
            sa.select(_S.id, _S.plan_type, _S.status, _S.start_date, _S.end_date)
            .where(_S.user_id == user_id).order_by(_S.id.desc()).limit(1))).mappings().first()
        return None if row is None else SubscriptionRecord(**row)

    async def set_status(self, tx: Transaction, subscription_id: int, status: str,
                         now: datetime) -> None:
        await tx.conn.execute(subscriptions.update().where(_S.id == subscription_id)
                              .values(status=status, updated_at=now))

    async def add(self, tx: Transaction, user_id: str, plan_type: str,
                  end: datetime | None, now: datetime) -> None:
        """A new active plan period starting `now`."""
        await tx.conn.execute(subscriptions.insert().values(
            user_id=user_id, plan_type=plan_type, status="active", start_date=now,
            end_date=end, created_at=now, updated_at=now))

    async def expire(self, tx: Transaction, now: datetime,
                     subscription_id: int | None = None) -> list[tuple[str, str]]:
        """Mark ended active plans `expired` (all, or one); (user_id, plan_type) of each."""
        where: Any = sa.true() if subscription_id is None else _S.id == subscription_id
        rows = (await tx.conn.execute(
            subscriptions.update()
            .where(_S.status == "active", _S.end_date.is_not(None), _S.end_date <= now, where)
            .values(status="expired", updated_at=now)
            .returning(_S.user_id, _S.plan_type))).all()
        return [(r.user_id, r.plan_type) for r in rows]

    async def expiring(self, tx: Transaction, now: datetime,
                       until: datetime) -> list[Expiring]:
        """Active paid plans ending in (now, until] without an `expiring` notice."""
        notices = subscription_notices.c
        query = (sa.select(_S.id, _S.user_id, _S.plan_type, _S.end_date)
                 .select_from(subscriptions.outerjoin(subscription_notices, sa.and_(
                     notices.subscription_id == _S.id, notices.kind == "expiring")))
                 .where(_S.status == "active", _S.plan_type != "free",
                        _S.end_date > now, _S.end_date <= until,
                        notices.subscription_id.is_(None)))
        return [Expiring(id=r.id, user_id=r.user_id, plan_type=r.plan_type, end_date=r.end_date)
                for r in (await tx.conn.execute(query)).all()]

    async def mark_notice(self, tx: Transaction, subscription_id: int, kind: str) -> bool:
        """Record a notice once; False when it was sent before."""
        marked = await tx.conn.execute(insert_for(tx.conn, subscription_notices).values(
            subscription_id=subscription_id, kind=kind).on_conflict_do_nothing())
        return bool(marked.rowcount)
