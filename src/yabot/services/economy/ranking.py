"""Levels from lifetime besitos earned, and the week's ranking of earners (users can hide
with the preference `show_in_ranking: false`)."""

from __future__ import annotations

from yabot.domain.clock import utcnow
from yabot.domain.days import week_start, zone
from yabot.domain.economy import level_for
from yabot.services.economy.ports import EconomyStore
from yabot.services.economy.views import LevelView, RankingEntry
from yabot.storage.documents.base import DocumentStore


class Ranking:
    def __init__(self, *, store: EconomyStore, documents: DocumentStore,
                 default_timezone: str) -> None:
        self.store, self.documents, self.tz = store, documents, zone(None, default_timezone)

    async def level(self, user_id: str) -> LevelView:
        earned = await self.store.lifetime_earned(user_id)
        level, to_next = level_for(earned)
        return LevelView(level=level, earned=earned, to_next=to_next)

    async def week(self, *, limit: int = 10) -> list[RankingEntry]:
        """The top `limit` earners since Monday (default timezone), hidden users left out."""
        since = week_start(utcnow(), self.tz)
        rows = await self.store.top_earners(since, limit * 3 + 20)
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
        doc = await self.documents.users.get(user_id)
        return doc is None or getattr(doc.preferences, "show_in_ranking", True) is not False
