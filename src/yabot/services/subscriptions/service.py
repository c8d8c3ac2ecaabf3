"""SubscriptionService: free by default, paid plans with end dates, expiry, events.

One `subscriptions` row per plan period, newest = current: a grant or upgrade inserts a row
(the previous active one becomes `inactive`), a cancel marks it `cancelled` and inserts a
`free` row. Every change commits with its `subscription_updated` event.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from yabot.domain.clock import as_utc, as_utc_or_none, utcnow
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
from yabot.services.subscriptions.ports import SubscriptionStore
from yabot.storage.sql.profiles import SubscriptionRecord

PLANS = ("free", "premium", "vip")
EXPIRING_WITHIN = timedelta(days=3)


def is_due(record: SubscriptionRecord, now: datetime) -> bool:
    """An active plan whose end date has passed: it must become `expired`."""
    end = as_utc_or_none(record.end_date)
    return record.status == "active" and end is not None and end <= now


def subscription_view(user_id: str, records: Sequence[SubscriptionRecord],
                      now: datetime) -> SubscriptionView:
    """The current plan (newest record); free/active without any."""
    if not records:
        return SubscriptionView(user_id=user_id, plan_type="free", status="active", is_vip=False)
    current = records[0]
    status = "expired" if is_due(current, now) else current.status
    end = as_utc_or_none(current.end_date)
    return SubscriptionView(
        user_id=user_id, plan_type=current.plan_type,
        status=status,
        start_date=as_utc_or_none(current.start_date), end_date=end,
        is_vip=current.plan_type == "vip" and status == "active" and (end is None or end > now))


class SubscriptionService:
    def __init__(self, *, store: SubscriptionStore, bus: EventBus) -> None:
        self.store, self.bus = store, bus

    async def get(self, user_id: str) -> SubscriptionView:
        """The current plan (expired on read when its end date has passed);
        free/active without a paid plan; NotFoundError("user") for an unknown user."""
        profile = await self.store.profile(user_id)
        if profile is None:
            raise NotFoundError("user", user_id)
        now = utcnow()
        await self.expire_if_due(profile.subscriptions, now)
        return subscription_view(user_id, profile.subscriptions, now)

    async def expire_if_due(self, records: Sequence[SubscriptionRecord], now: datetime) -> None:
        """Persist the expiry that a read noticed (with its event); a no-op otherwise."""
        if records and records[0].id is not None and is_due(records[0], now):
            async with self.bus.transaction() as tx:
                await self._expire(tx, now, records[0].id)

    async def set_plan(self, user_id: str, plan_type: PlanType,
                       end_date: datetime | None = None, *,
                       tx: Publisher | None = None) -> SubscriptionView:
        """Grant, upgrade or (with "free") cancel; publishes `subscription_updated`.
        `tx` joins an open transaction."""
        if plan_type not in PLANS:
            raise ValueError(f"plan_type must be one of {', '.join(PLANS)}, not {plan_type!r}")
        now = utcnow()
        end = as_utc_or_none(end_date)
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
        current = await self.store.current_for_update(tx, user_id)
        if plan_type == "free":
            if current is None or current.plan_type == "free":
                records = [] if current is None else [current]
                return subscription_view(user_id, records, now)  # nothing to do
            if current.status == "active":
                assert current.id is not None
                await self.store.set_status(tx, current.id, "cancelled", now)
                await tx.publish(_updated(user_id, "cancelled", current.plan_type))
            else:
                await tx.publish(_updated(user_id, "active", "free"))
        else:
            if current is not None and current.status == "active":
                assert current.id is not None
                await self.store.set_status(tx, current.id, "inactive", now)
            await tx.publish(_updated(user_id, "active", plan_type))
        await self.store.add(tx, user_id, plan_type, end, now)
        return SubscriptionView(user_id=user_id, plan_type=plan_type, status="active",
                                start_date=now, end_date=end,
                                is_vip=plan_type == "vip")

    async def is_vip(self, user_id: str) -> bool:
        return (await self.get(user_id)).is_vip

    async def expire_due(self) -> int:
        """The periodic sweep: mark ended plans `expired`; returns how many."""
        async with self.bus.transaction() as tx:
            return await self._expire(tx, utcnow())

    async def notify_expiring(self, within: timedelta = EXPIRING_WITHIN) -> int:
        """Publish `subscription_expiring` for active paid plans ending within `within`,
        once per plan period (a `subscription_notices` row commits with the event)."""
        now = utcnow()
        sent = 0
        async with self.bus.transaction() as tx:
            for row in await self.store.expiring(tx, now, now + within):
                if await self.store.mark_notice(tx, row.id, "expiring"):
                    await tx.publish(SubscriptionExpiring(user_id=row.user_id,
                                     payload=SubscriptionExpiringPayload(
                                         plan_type=row.plan_type, end_date=as_utc(row.end_date),
                                         subscription_id=row.id)))
                    sent += 1
        return sent

    async def _expire(self, tx: Publisher, now: datetime,
                      subscription_id: int | None = None) -> int:
        rows = await self.store.expire(tx, now, subscription_id)
        if rows:
            await tx.publish(*(_updated(user_id, "expired", plan) for user_id, plan in rows))
        return len(rows)


def _updated(user_id: str, status: Any, plan_type: Any) -> SubscriptionUpdated:
    return SubscriptionUpdated(user_id=user_id, payload=SubscriptionUpdatedPayload(
        status=status, plan_type=plan_type))


