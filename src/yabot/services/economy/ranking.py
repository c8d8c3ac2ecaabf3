"""Levels from lifetime besitos earned, and the week's ranking of earners (users can hide
with the preference `show_in_ranking: false`)."""

from __future__ import annotations

from yabot.domain.clock import utcnow
from yabot.domain.economy import level_for
from yabot.services.economy.days import week_start, zone
from yabot.services.economy.views import LevelView, RankingEntry
from yabot.storage.manager import DatabaseManager
from yabot.storage.sql.repositories import economy_rewards as repo


class Ranking:
    def __init__(self, *, stores: DatabaseManager, default_timezone: str) -> None:
        self.stores, self.tz = stores, zone(None, default_timezone)

    async def level(self, user_id: str) -> LevelView:
        async with self.stores.sql.read() as conn:
            earned = await repo.lifetime_earned(conn, user_id)
        level, to_next = level_for(earned)
        return LevelView(level=level, earned=earned, to_next=to_next)

    async def week(self, *, limit: int = 10) -> list[RankingEntry]:
        """The top `limit` earners since Monday (default timezone), hidden users left out."""
        since = week_start(utcnow(), self.tz)
        async with self.stores.sql.read() as conn:
            rows = await repo.top_earners(conn, since, limit * 3 + 20)
        entries: list[RankingEntry] = []
        for user_id, name, earned in rows:
            if len(entries) >= limit:
                break
            if not await self._visible(user_id):
                continue
            entries.append(RankingEntry(rank=len(entries) + 1, user_id=user_id,
                                        display_name=name or f"#{user_id[-4:]}",
                                        earned=earned))
        return entries

    async def rank_of(self, user_id: str) -> RankingEntry | None:
        """The user's own place this week (None without earnings or when hidden)."""
        for entry in await self.week(limit=1000):
            if entry.user_id == user_id:
                return entry
        return None

    async def _visible(self, user_id: str) -> bool:
        doc = await self.stores.documents.users.get(user_id)
        return doc is None or getattr(doc.preferences, "show_in_ranking", True) is not False
