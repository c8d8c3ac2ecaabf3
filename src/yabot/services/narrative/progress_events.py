"""The story's progress: the user's new position (`advance`), and its events, built in the
transaction that moves the user on:
`fragment_completed` (the fragment left), `fragment_started` (the one entered),
`level_completed` (the last fragment of a level, once per user) and `secret_discovered`
(a choice marked `secret`, once per user)."""

from __future__ import annotations

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
from yabot.domain.models import Choice, ChoiceMade, NarrativeProgress
from yabot.events.handler_context import Publisher
from yabot.services.narrative.ports import StoryStore


async def progress_events(story: StoryStore, tx: Publisher, user_id: str, current: str,
                          choice: Choice, target: str) -> list[BaseEvent]:
    """The events of taking `choice` from `current` to `target` (milestones recorded)."""
    events: list[BaseEvent] = [FragmentCompleted(user_id=user_id, payload=FragmentPayload(
        fragment_id=current, choice_id=choice.id))]
    if target != current:
        events.append(FragmentStarted(user_id=user_id, payload=FragmentPayload(
            fragment_id=target, choice_id=choice.id)))
    for data in await story.levels(tx):
        level = Level.model_validate(data)
        if level.fragments[-1] != current:
            continue
        event = LevelCompleted(user_id=user_id, payload=LevelCompletedPayload(
            level_id=level.level_id, fragment_id=current))
        if await story.add_milestone(tx, user_id, "level", level.level_id, event.event_id):
            events.append(event)
    if choice.secret:
        secret = SecretDiscovered(user_id=user_id, payload=SecretDiscoveredPayload(
            choice_id=choice.id, fragment_id=current, next_fragment_id=choice.next_fragment))
        if await story.add_milestone(tx, user_id, "secret", f"{current}:{choice.id}",
                                     secret.event_id):
            events.append(secret)
    return events


async def start_event(story: StoryStore, tx: Publisher, user_id: str,
                      fragment_id: str) -> BaseEvent | None:
    """`fragment_started` for the story's first fragment, once per user (None after)."""
    event = FragmentStarted(user_id=user_id, payload=FragmentPayload(fragment_id=fragment_id))
    if await story.add_milestone(tx, user_id, "start", fragment_id, event.event_id):
        return event
    return None


def advance(progress: NarrativeProgress, current: str, choice_id: str,
            target: str) -> NarrativeProgress:
    """Progress after taking `choice_id` on `current` towards `target`."""
    completed = list(progress.completed_fragments)
    if current not in completed:
        completed.append(current)
    return NarrativeProgress(
        current_fragment=target, completed_fragments=completed,
        choices_made=[*progress.choices_made, ChoiceMade(fragment=current, choice=choice_id)])
