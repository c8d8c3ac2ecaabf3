"""SubscriptionService: free by default, paid plans with end dates, expiry, events.

One `subscriptions` row per plan period, newest = current: a grant or upgrade inserts a row
(the previous active one becomes `inactive`), a cancel marks it `cancelled` and inserts a
`free` row. Every change commits with its `subscription_updated` event.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.domain.errors import NotFoundError
from yabot.domain.events import (
    SubscriptionExpiring,
    SubscriptionExpiringPayload,
    SubscriptionUpdated,
    SubscriptionUpdatedPayload,
)
from yabot.domain.views import PlanType, SubscriptionView
from yabot.events.bus import EventBus
from yabot.events.handler_context import Publisher
from yabot.storage.manager import DatabaseManager
from yabot.storage.sql.profiles import SubscriptionRecord, get_profile
from yabot.storage.sql.tables import subscription_notices, subscriptions, user_profiles

PLANS = ("free", "premium", "vip")
EXPIRING_WITHIN = timedelta(days=3)
_S = subscriptions.c


def as_utc(value: datetime | None) -> datetime | None:
    """Stores give naive UTC (SQLite) or aware datetimes (PostgreSQL): make them aware UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def is_due(record: SubscriptionRecord, now: datetime) -> bool:
    """An active plan whose end date has passed: it must become `expired`."""
    end = as_utc(record.end_date)
    return record.status == "active" and end is not None and end <= now


def subscription_view(user_id: str, records: Sequence[SubscriptionRecord],
                      now: datetime) -> SubscriptionView:
    """The current plan (newest record); free/active without any."""
    if not records:
        return SubscriptionView(user_id=user_id, plan_type="free", status="active", is_vip=False)
    current = records[0]
    status = "expired" if is_due(current, now) else current.status
    end = as_utc(current.end_date)
    return SubscriptionView(
        user_id=user_id, plan_type=current.plan_type,
        status=status,
        start_date=as_utc(current.start_date), end_date=end,
        is_vip=current.plan_type == "vip" and status == "active" and (end is None or end > now))


class SubscriptionService:
    def __init__(self, *, stores: DatabaseManager, bus: EventBus) -> None:
        self.stores, self.bus = stores, bus

    async def get(self, user_id: str) -> SubscriptionView:
        """The current plan (expired on read when its end date has passed);
        free/active without a paid plan; NotFoundError("user") for an unknown user."""
        profile = await get_profile(self.stores.sql, user_id)
        if profile is None:
            raise NotFoundError("user", user_id)
        now = datetime.now(UTC)
        await self.expire_if_due(profile.subscriptions, now)
        return subscription_view(user_id, profile.subscriptions, now)

    async def expire_if_due(self, records: Sequence[SubscriptionRecord], now: datetime) -> None:
        """Persist the expiry that a read noticed (with its event); a no-op otherwise."""
        if records and records[0].id is not None and is_due(records[0], now):
            async with self.bus.transaction() as tx:
                await self._expire(tx, now, _S.id == records[0].id)

    async def set_plan(self, user_id: str, plan_type: PlanType,
                       end_date: datetime | None = None, *,
                       tx: Publisher | None = None) -> SubscriptionView:
        """Grant, upgrade or (with "free") cancel; publishes `subscription_updated`.
        `tx` joins an open transaction."""
        if plan_type not in PLANS:
            raise ValueError(f"plan_type must be one of {', '.join(PLANS)}, not {plan_type!r}")
        now = datetime.now(UTC)
        end = as_utc(end_date)
        if plan_type == "free" and end is not None:
            raise ValueError("the free plan has no end date")
        if end is not None and end <= now:
            raise ValueError(f"end_date {end.isoformat()} is not in the future")
        if tx is None:
            async with self.bus.transaction() as own:
                return await self._set_plan(own, user_id, plan_type, end, now)
        return await self._set_plan(tx, user_id, plan_type, end, now)

    async def _set_plan(self, tx: Publisher, user_id: str, plan_type: PlanType,
                        end: datetime | None, now: datetime) -> SubscriptionView:
        current = await self._current_for_update(tx.conn, user_id)
        if plan_type == "free":
            if current is None or current["plan_type"] == "free":
                return subscription_view(user_id, _records(current), now)  # nothing to do
            if current["status"] == "active":
                await tx.conn.execute(subscriptions.update().where(_S.id == current["id"])
                                      .values(status="cancelled", updated_at=now))
                await tx.publish(_updated(user_id, "cancelled", current["plan_type"]))
            else:
                await tx.publish(_updated(user_id, "active", "free"))
        else:
            if current is not None and current["status"] == "active":
                await tx.conn.execute(subscriptions.update().where(_S.id == current["id"])
                                      .values(status="inactive", updated_at=now))
            await tx.publish(_updated(user_id, "active", plan_type))
        await tx.conn.execute(subscriptions.insert().values(
            user_id=user_id, plan_type=plan_type, status="active", start_date=now,
            end_date=end, created_at=now, updated_at=now))
        return SubscriptionView(user_id=user_id, plan_type=plan_type, status="active",
                                start_date=now, end_date=end,
                                is_vip=plan_type == "vip")

    async def is_vip(self, user_id: str) -> bool:
        return (await self.get(user_id)).is_vip

    async def expire_due(self) -> int:
        """The periodic sweep: mark ended plans `expired`; returns how many."""
        async with self.bus.transaction() as tx:
            return await self._expire(tx, datetime.now(UTC), sa.true())

    async def notify_expiring(self, within: timedelta = EXPIRING_WITHIN) -> int:
        """Publish `subscription_expiring` for active paid plans ending within `within`,
        once per plan period (a `subscription_notices` row commits with the event)."""
        now = datetime.now(UTC)
        notices = subscription_notices.c
        query = (sa.select(_S.id, _S.user_id, _S.plan_type, _S.end_date)
                 .select_from(subscriptions.outerjoin(subscription_notices, sa.and_(
                     notices.subscription_id == _S.id, notices.kind == "expiring")))
                 .where(_S.status == "active", _S.plan_type != "free",
                        _S.end_date > now, _S.end_date <= now + within,
                        notices.subscription_id.is_(None)))
        insert = sqlite_insert if self.stores.sql.is_sqlite else pg_insert
        sent = 0
        async with self.bus.transaction() as tx:
            for row in (await tx.conn.execute(query)).all():
                marked = await tx.conn.execute(insert(subscription_notices).values(
                    subscription_id=row.id, kind="expiring").on_conflict_do_nothing())
                if marked.rowcount:
                    end = as_utc(row.end_date)
                    assert end is not None
                    await tx.publish(SubscriptionExpiring(user_id=row.user_id,
                                     payload=SubscriptionExpiringPayload(
                                         plan_type=row.plan_type, end_date=end,
                                         subscription_id=row.id)))
                    sent += 1
        return sent

    async def _current_for_update(self, conn: AsyncConnection,
                                  user_id: str) -> dict[str, Any] | None:
        """Lock the profile (PostgreSQL) and return the newest subscription row, if any."""
        found = (await conn.execute(sa.select(user_profiles.c.user_id)
                                    .where(user_profiles.c.user_id == user_id)
                                    .with_for_update())).first()
        if found is None:
            raise NotFoundError("user", user_id)
        row = (await conn.execute(sa.select(_S.id, _S.plan_type, _S.status, _S.start_date,
                                            _S.end_date).where(_S.user_id == user_id)
                                  .order_by(_S.id.desc()).limit(1))).mappings().first()
        return None if row is None else dict(row)

    @staticmethod
    async def _expire(tx: Publisher, now: datetime, where: Any) -> int:
        rows = (await tx.conn.execute(
            subscriptions.update()
            .where(_S.status == "active", _S.end_date.is_not(None), _S.end_date <= now, where)
            .values(status="expired", updated_at=now)
            .returning(_S.user_id, _S.plan_type))).all()
        if rows:
            await tx.publish(*(_updated(r.user_id, "expired", r.plan_type) for r in rows))
        return len(rows)


def _records(row: dict[str, Any] | None) -> list[SubscriptionRecord]:
    if row is None:
        return []
    return [SubscriptionRecord(plan_type=row["plan_type"], status=row["status"],
                               start_date=row["start_date"], end_date=row["end_date"],
                               id=row["id"])]


def _updated(user_id: str, status: Any, plan_type: Any) -> SubscriptionUpdated:
    return SubscriptionUpdated(user_id=user_id, payload=SubscriptionUpdatedPayload(
        status=status, plan_type=plan_type))


