"""AdminQueries: the read-only queries behind the admin panel's dashboard and lists.

Nothing here writes. Page sizes and limits are clamped, so no request reads unbounded rows.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from yabot.domain.clock import as_utc, utcnow
from yabot.domain.views import EventRow, Totals, UserRow
from yabot.services.admin.ports import QueryStore

__all__ = ["MAX_EVENTS", "MAX_PAGE_SIZE", "AdminQueries", "EventRow", "Totals", "UserRow",
           "clamp"]

MAX_PAGE_SIZE = 100
MAX_EVENTS = 200


def clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _payload(data: str, limit: int = 300) -> str:
    try:
        text = json.dumps(json.loads(data).get("payload", {}), ensure_ascii=False,
                          separators=(",", ":"))
    except (ValueError, AttributeError):
        text = data
    return text if len(text) <= limit else text[:limit] + "…"


class AdminQueries:
    def __init__(self, *, store: QueryStore) -> None:
        self.store = store

    async def totals(self, now: datetime | None = None) -> Totals:
        now = now or utcnow()
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return await self.store.totals(now, midnight)

    async def events_per_minute(self, now: datetime | None = None,
                                minutes: int = 60) -> list[int]:
        """Events logged in each of the last `minutes` minutes, oldest first."""
        now = now or utcnow()
        counts = [0] * minutes
        for bucket, n in await self.store.events_per_minute(now - timedelta(minutes=minutes),
                                                            now):
            counts[clamp(bucket, 0, minutes - 1)] += n
        return counts

    async def search_users(self, query: str, *, page: int = 1,
                           page_size: int = 25) -> tuple[list[UserRow], int]:
        """Users by id, Telegram id or username prefix (all when empty), newest first;
        returns one page and the total number of matches."""
        page_size, page = clamp(page_size, 1, MAX_PAGE_SIZE), max(1, page)
        return await self.store.search_users(query.strip().lstrip("@"), page_size,
                                             (page - 1) * page_size)

    async def recent_events(self, *, event_type: str | None = None, user_id: str | None = None,
                            limit: int = 50) -> list[EventRow]:
        """The event log, newest first, optionally of one type and/or one user."""
        rows = await self.store.recent_events(event_type, user_id, clamp(limit, 1, MAX_EVENTS))
        return [EventRow(event_id=r["event_id"], event_type=r["event_type"],
                         user_id=r["user_id"], timestamp=as_utc(r["timestamp"]),
                         payload=_payload(r["event_data"])) for r in rows]
