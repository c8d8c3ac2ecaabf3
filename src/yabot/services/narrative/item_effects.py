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
from yabot.services.narrative import hints_sql
from yabot.storage.sql.repositories import economy_content, economy_progress

GROUP = "narrative-effects"


async def apply_item_effect(event: BaseEvent, ctx: HandlerContext) -> None:
    if not isinstance(event, ItemUsed) or event.user_id is None:
        return
    effect = event.payload.effect
    if hint_id := effect.get("reveal_hint"):
        fragment_id = await economy_content.hint_fragment(ctx.conn, hint_id)
        if fragment_id is not None:  # else the hint was removed from the content since
            unlocked = event.follow(NarrativeHintUnlocked, payload=NarrativeHintUnlockedPayload(
                hint_id=hint_id, fragment_id=fragment_id))
            if await hints_sql.unlock(ctx.conn, event.user_id, hint_id, unlocked.event_id):
                await publish_sequenced(ctx, unlocked)
    if opened := effect.get("unlock_fragment"):
        await economy_progress.unlock_fragment(ctx.conn, event.user_id, opened, event.event_id)


def register_item_effects(bus: EventBus) -> None:
    bus.add_subscriber("item_used", apply_item_effect, group=GROUP)
