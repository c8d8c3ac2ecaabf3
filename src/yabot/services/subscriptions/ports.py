"""What subscriptions need from storage (`storage/sql/repositories/subscriptions.py`)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from yabot.events.handler_context import Publisher
from yabot.storage.sql.profiles import ProfileRecord, SubscriptionRecord
from yabot.storage.sql.repositories.subscriptions import Expiring


class SubscriptionStore(Protocol):
    async def profile(self, user_id: str) -> ProfileRecord | None: ...

    async def current_for_update(self, tx: Publisher,
                                 user_id: str) -> SubscriptionRecord | None: ...

    async def set_status(self, tx: Publisher, subscription_id: int, status: str,
                         now: datetime) -> None: ...

    async def add(self, tx: Publisher, user_id: str, plan_type: str,
                  end: datetime | None, now: datetime) -> None: ...

    async def expire(self, tx: Publisher, now: datetime,
                     subscription_id: int | None = None) -> list[tuple[str, str]]: ...

    async def expiring(self, tx: Publisher, now: datetime,
                       until: datetime) -> list[Expiring]: ...

    async def mark_notice(self, tx: Publisher, subscription_id: int, kind: str) -> bool: ...
