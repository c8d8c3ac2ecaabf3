"""The story's progress as events, built in the transaction that moves the user on:
`fragment_completed` (the fragment left), `fragment_started` (the one entered),
`level_completed` (the last fragment of a level, once per user) and `secret_discovered`
(a choice marked `secret`, once per user)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.domain.economy import Level
from yabot.domain.events import (
    BaseEvent,
    FragmentCompleted,
    FragmentPayload,
    FragmentStarted,
    LevelCompleted,
    LevelCompletedPayload,
    SecretDiscovered,
    SecretDiscoveredPayload,
)
from yabot.domain.models import Choice
from yabot.storage.manager import DatabaseManager
from yabot.storage.sql.repositories import economy_content, economy_progress


async def progress_events(conn: AsyncConnection, user_id: str, current: str, choice: Choice,
                          target: str) -> list[BaseEvent]:
    """The events of taking `choice` from `current` to `target` (milestones recorded)."""
    events: list[BaseEvent] = [FragmentCompleted(user_id=user_id, payload=FragmentPayload(
        fragment_id=current, choice_id=choice.id))]
    if target != current:
        events.append(FragmentStarted(user_id=user_id, payload=FragmentPayload(
            fragment_id=target, choice_id=choice.id)))
    for data in await economy_content.section(conn, "levels"):
        level = Level.model_validate(data)
        if level.fragments[-1] != current:
            continue
        event = LevelCompleted(user_id=user_id, payload=LevelCompletedPayload(
            level_id=level.level_id, fragment_id=current))
        if await economy_progress.add_milestone(conn, user_id, "level", level.level_id,
                                                event.event_id):
            events.append(event)
    if choice.secret:
        secret = SecretDiscovered(user_id=user_id, payload=SecretDiscoveredPayload(
            choice_id=choice.id, fragment_id=current, next_fragment_id=choice.next_fragment))
        if await economy_progress.add_milestone(conn, user_id, "secret",
                                                f"{current}:{choice.id}", secret.event_id):
            events.append(secret)
    return events


async def opened_to(stores: DatabaseManager, user_id: str, fragment_id: str) -> bool:
    """True when an item opened this fragment to the user (past the VIP gate)."""
    async with stores.sql.read() as conn:
        return await economy_progress.fragment_unlocked(conn, user_id, fragment_id)
