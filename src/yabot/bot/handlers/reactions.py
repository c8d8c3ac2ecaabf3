"""Reactions: a `message_reaction` update with a new reaction becomes `reaction_detected`.

The event commits with the update (numbered for the coordinator's per-user order); the
reward (once per user and message) follows on the bus; the notifier tells the user.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.types import MessageReactionUpdated, ReactionTypeEmoji

from yabot.domain.views import UserContext
from yabot.services.container import DomainServices
from yabot.services.messaging.update_commit import UpdateEffects

router = Router(name="reactions")


def reaction_type(reaction: MessageReactionUpdated) -> str | None:
    """The first newly added reaction (emoji, or its kind), None when one was removed."""
    old = {r.model_dump_json() for r in reaction.old_reaction}
    added = [r for r in reaction.new_reaction if r.model_dump_json() not in old]
    if not added:
        return None
    first = added[0]
    return first.emoji if isinstance(first, ReactionTypeEmoji) else first.type


@router.message_reaction()
async def reacted(reaction: MessageReactionUpdated, services: DomainServices,
                  user_ctx: UserContext | None, update_effects: UpdateEffects) -> str:
    kind = reaction_type(reaction)
    if user_ctx is None or kind is None:
        return "ignored"
    update_effects.sequenced.append(services.coordinator.reaction(  # commits with the update
        user_ctx.user_id, chat_id=reaction.chat.id, message_id=reaction.message_id,
        reaction_type=kind))
    return "ok"
