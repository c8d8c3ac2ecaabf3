"""EconomyService: the economy's parts, and its consumer group `economy` (every event with
a user counts towards achievements and daily missions, in the handler's transaction)."""

from __future__ import annotations

from yabot.domain.events import BaseEvent
from yabot.events.bus import EventBus
from yabot.events.handler_context import HandlerContext
from yabot.services.economy.achievements import Achievements
from yabot.services.economy.gift import DailyGift
from yabot.services.economy.missions import ACTIVITY_TYPES, Missions
from yabot.services.economy.ports import EconomyStore
from yabot.services.economy.ranking import Ranking
from yabot.services.economy.rules import RuleBook
from yabot.services.economy.shop import ShopService
from yabot.services.economy.trivia import Trivia
from yabot.services.wallet.service import BesitosService
from yabot.settings import EconomySettings
from yabot.storage.documents.base import DocumentStore

GROUP = "economy"


class EconomyService:
    def __init__(self, *, store: EconomyStore, documents: DocumentStore, bus: EventBus,
                 besitos: BesitosService, settings: EconomySettings) -> None:
        self.bus, self.settings = bus, settings
        self.rules = RuleBook(store, documents)
        self.shop = ShopService(store=store, documents=documents, bus=bus, besitos=besitos,
                                rules=self.rules)
        self.achievements = Achievements(store=store, besitos=besitos, rules=self.rules)
        self.missions = Missions(store=store, documents=documents, bus=bus, besitos=besitos,
                                 rules=self.rules, per_day=settings.missions_per_day,
                                 default_timezone=settings.default_timezone)
        self.trivia = Trivia(store=store, bus=bus, besitos=besitos, rules=self.rules)
        self.gift = DailyGift(store=store, documents=documents, bus=bus, besitos=besitos,
                              settings=settings)
        self.ranking = Ranking(store=store, documents=documents,
                               default_timezone=settings.default_timezone)

    def register(self) -> None:
        """Subscribe the `economy` group (call before `bus.start()`)."""
        self.bus.add_subscriber("*", self.handle, group=GROUP, accepts=self.wants)

    def wants(self, event: BaseEvent) -> bool:
        """False for an event `handle` would ignore: no user, or a type that no loaded
        achievement or mission counts (activity assigns the day's missions). Unsure (rules
        not loaded recently): True, and `handle` decides."""
        if event.event_type == "content_published":
            return True
        if event.user_id is None:
            return False
        if event.event_type in ACTIVITY_TYPES:
            return True
        rules = self.rules.cached()
        return rules is None or bool(rules.achievements_on(event.event_type)) or any(
            m.rule.event == event.event_type for m in rules.missions)

    async def handle(self, event: BaseEvent, ctx: HandlerContext) -> None:
        if event.event_type == "content_published":
            self.rules.invalidate()
            return
        if event.user_id is None:
            return
        rules = await self.rules.get()
        await self.achievements.on_event(event, ctx, rules)
        await self.missions.on_event(event, ctx, rules)
