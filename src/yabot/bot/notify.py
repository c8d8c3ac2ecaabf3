"""Tell users what happened on the bus: besitos earned by a reaction, hints unlocked,
missions completed, achievements unlocked, a paid plan about to end or ended.

A bus subscriber (group `bot-notify`) queues the notice in its own transaction (the one
that marks the event processed), so the notice is durable and sent once by the sender.
The terminal chat attaches its in-process bot instead: notices go straight to it.
"""

from __future__ import annotations

from aiogram import Bot

from yabot.bot.texts import language_of, t
from yabot.domain.events import (
    AchievementUnlocked,
    BaseEvent,
    BesitosAwarded,
    MissionCompleted,
    NarrativeHintUnlocked,
    SubscriptionExpired,
    SubscriptionExpiring,
)
from yabot.events.bus import EventBus
from yabot.events.handler_context import HandlerContext
from yabot.services.container import DomainServices

GROUP = "bot-notify"


class Notifier:
    def __init__(self, services: DomainServices, *, group: str = GROUP,
                 only_user: str | None = None) -> None:
        self.services, self.group, self.only_user = services, group, only_user
        self.bot: Bot | None = None  # set by the terminal chat only

    def attach(self, bot: Bot) -> None:
        """Send notices straight to `bot` (the chat's in-process session), not the queue."""
        self.bot = bot

    async def detach(self, timeout: float = 0.0) -> None:
        self.bot = None

    def register(self, bus: EventBus) -> None:
        """Subscribe (before `bus.start()`)."""
        bus.add_subscriber("besitos_awarded", self._on_event, group=self.group)
        bus.add_subscriber("narrative_hint_unlocked", self._on_event, group=self.group)
        bus.add_subscriber("mission_completed", self._on_event, group=self.group)
        bus.add_subscriber("achievement_unlocked", self._on_event, group=self.group)
        bus.add_subscriber("subscription_expiring", self._on_event, group=self.group)
        bus.add_subscriber("subscription_expired", self._on_event, group=self.group)

    async def _on_event(self, event: BaseEvent, ctx: HandlerContext) -> None:
        if isinstance(event, BesitosAwarded) and event.payload.reason != "reaction":
            return
        if event.user_id is None or (self.only_user is not None
                                     and event.user_id != self.only_user):
            return
        text = await self.text_for(event)
        if text is not None and self.bot is not None:
            await self.bot.send_message(int(event.user_id), text)
        elif text is not None:
            await self.services.messages.enqueue(
                ctx, chat_id=int(event.user_id), text=text, kind="notice",
                dedupe_key=f"notice:{event.event_id}")

    async def text_for(self, event: BaseEvent) -> str | None:
        assert event.user_id is not None
        user_id = event.user_id
        ctx = await self.services.users.get_user_context(user_id)
        lang = language_of(ctx.preferences.language)
        if isinstance(event, BesitosAwarded):
            return t("besitos_earned", lang, amount=event.payload.amount,
                     balance=event.payload.balance)
        if isinstance(event, NarrativeHintUnlocked):
            hints = await self.services.narrative.unlocked_hints(user_id)
            hint = next((h for h in hints if h.hint_id == event.payload.hint_id), None)
            return t("hint_unlocked", lang, text=hint.text) if hint and hint.text else None
        if isinstance(event, MissionCompleted):
            return t("notice_mission", lang, name=event.payload.name,
                     reward=event.payload.reward)
        if isinstance(event, AchievementUnlocked):
            reward = (t("notice_reward", lang, reward=event.payload.reward)
                      if event.payload.reward else "")
            return t("notice_achievement", lang, name=event.payload.name) + reward
        if isinstance(event, SubscriptionExpiring):
            return t("vip_expiring", lang,
                     end=event.payload.end_date.strftime("%Y-%m-%d %H:%M UTC"))
        if isinstance(event, SubscriptionExpired):
            return t("vip_expired", lang)
        return None
