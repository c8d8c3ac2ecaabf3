"""The economy's content (achievements, missions, trivia, levels, items), read from the
stores and kept a few seconds per process (a load publishes `content_published`, which
clears it here at once)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from yabot.domain.economy import SECTION_KINDS, Achievement, Level, Mission, TriviaQuestion
from yabot.domain.models import Item
from yabot.services.economy.ports import EconomyStore
from yabot.storage.documents.base import DocumentStore

TTL_SECONDS = 5.0


@dataclass(frozen=True)
class Rules:
    achievements: list[Achievement] = field(default_factory=list)
    missions: list[Mission] = field(default_factory=list)
    trivia: list[TriviaQuestion] = field(default_factory=list)
    levels: list[Level] = field(default_factory=list)
    items: dict[str, Item] = field(default_factory=dict)

    def achievements_on(self, event_type: str) -> list[Achievement]:
        return [a for a in self.achievements if a.rule.event == event_type]

    def question(self, question_id: str) -> TriviaQuestion | None:
        return next((q for q in self.trivia if q.question_id == question_id), None)


class RuleBook:
    """Loads `Rules` at most every TTL_SECONDS (or after `invalidate`)."""

    def __init__(self, store: EconomyStore, documents: DocumentStore) -> None:
        self.store, self.documents = store, documents
        self._rules: Rules | None = None
        self._loaded_at = 0.0

    def invalidate(self) -> None:
        self._rules = None

    def cached(self) -> Rules | None:
        """The rules if loaded within TTL_SECONDS (what `get` would return without a read)."""
        if self._rules is None or time.monotonic() - self._loaded_at > TTL_SECONDS:
            return None
        return self._rules

    async def get(self) -> Rules:
        if self._rules is None or time.monotonic() - self._loaded_at > TTL_SECONDS:
            self._rules = await self._load()
            self._loaded_at = time.monotonic()
        return self._rules

    async def _load(self) -> Rules:
        sections = await self.store.sections(SECTION_KINDS)
        achievements = [Achievement.model_validate(d) for d in sections["achievements"]]
        missions = [Mission.model_validate(d) for d in sections["missions"]]
        trivia = [TriviaQuestion.model_validate(d) for d in sections["trivia"]]
        levels = [Level.model_validate(d) for d in sections["levels"]]
        items: dict[str, Item] = {}
        offset = 0
        while batch := await self.documents.items.list(limit=500, offset=offset):
            items.update((i.item_id, i) for i in batch)
            offset += len(batch)
        return Rules(achievements=achievements, missions=missions, trivia=trivia,
                     levels=levels, items=items)
