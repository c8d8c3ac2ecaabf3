"""Applies a used item's effect to the story, once (group `narrative-effects`):
`reveal_hint` unlocks the hint for the user (`narrative_hint_unlocked`), `unlock_fragment`
opens a fragment to the user past the VIP gate."""

from __future__ import annotations

from yabot.domain.events import (
    BaseEvent,
    ItemUsed,
    NarrativeHintUnlocked,
    NarrativeHintUnlockedPayload,
)
from yabot.events.bus import EventBus
from yabot.events.handler_context import HandlerContext
from yabot.events.sequencing import publish_sequenced
from yabot.services.narrative.ports import HintStore, StoryStore

GROUP = "narrative-effects"


class ItemEffects:
    def __init__(self, *, hints: HintStore, story: StoryStore) -> None:
        self.hints, self.story = hints, story

    async def apply(self, event: BaseEvent, ctx: HandlerContext) -> None:
        if not isinstance(event, ItemUsed) or event.user_id is None:
            return
        effect = event.payload.effect
        if hint_id := effect.get("reveal_hint"):
            fragment_id = await self.story.hint_fragment(ctx, hint_id)
            if fragment_id is not None:  # else the hint was removed from the content since
                unlocked = event.follow(NarrativeHintUnlocked,
                                        payload=NarrativeHintUnlockedPayload(
                                            hint_id=hint_id, fragment_id=fragment_id))
                if await self.hints.unlock(ctx, event.user_id, hint_id, unlocked.event_id):
                    await publish_sequenced(ctx, unlocked)
        if opened := effect.get("unlock_fragment"):
            await self.story.unlock_fragment(ctx, event.user_id, opened, event.event_id)

    def register(self, bus: EventBus) -> None:
        bus.add_subscriber("item_used", self.apply, group=GROUP)
