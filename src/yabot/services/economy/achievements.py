"""Achievements: count a user's events, unlock each achievement once, with its reward.

Only the types a loaded achievement watches are counted (an achievement published later
counts from its publication on), so most events cost the economy nothing.

Runs in the `economy` consumer group's transaction: the counter, the unlock row (primary
key user + achievement), the reward (`achievement:<id>`, keyed per user) and
`achievement_unlocked` commit together with the event's processed mark.
"""

from __future__ import annotations

from yabot.domain.errors import NotFoundError
from yabot.domain.events import AchievementUnlocked, AchievementUnlockedPayload, BaseEvent
from yabot.events.handler_context import HandlerContext
from yabot.services.economy.ports import EconomyStore
from yabot.services.economy.rules import RuleBook, Rules
from yabot.services.economy.views import AchievementLine
from yabot.services.wallet.service import BesitosService


class Achievements:
    def __init__(self, *, store: EconomyStore, besitos: BesitosService,
                 rules: RuleBook) -> None:
        self.store, self.besitos, self.rules = store, besitos, rules

    async def on_event(self, event: BaseEvent, ctx: HandlerContext, rules: Rules) -> None:
        user_id = event.user_id
        watched = rules.achievements_on(event.event_type)
        if user_id is None or not watched:  # counters exist for the types rules watch
            return
        count = await self.store.bump_counter(ctx, user_id, event.event_type)
        for achievement in watched:
            if count < achievement.rule.count:
                continue
            unlocked = event.follow(AchievementUnlocked, payload=AchievementUnlockedPayload(
                achievement_id=achievement.achievement_id, name=achievement.name,
                reward=achievement.reward))
            if not await self.store.unlock_achievement(ctx, user_id, achievement.achievement_id,
                                                       unlocked.event_id, event.timestamp):
                continue  # unlocked before
            await ctx.publish(unlocked)
            if achievement.reward > 0:
                await self.besitos.award(
                    user_id, achievement.reward, f"achievement:{achievement.achievement_id}",
                    f"achievement:{user_id}:{achievement.achievement_id}", tx=ctx,
                    cause=unlocked)

    async def of_user(self, user_id: str) -> list[AchievementLine]:
        """Every achievement of the pack, with `unlocked_at` for those the user has."""
        rules = await self.rules.get()
        if not await self.store.user_exists(user_id):
            raise NotFoundError("user", user_id)
        unlocked = await self.store.achievements_of(user_id)
        return [AchievementLine(achievement_id=a.achievement_id, name=a.name,
                                description=a.description, reward=a.reward,
                                unlocked_at=unlocked.get(a.achievement_id))
                for a in rules.achievements]
