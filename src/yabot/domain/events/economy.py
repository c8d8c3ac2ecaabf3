"""The economy's events: shop and inventory, achievements, missions, trivia, story progress,
and content publishing."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from yabot.domain.events.base import BaseEvent, Payload


class ItemPurchasedPayload(Payload):
    item_id: str = Field(min_length=1)
    quantity: int = Field(gt=0)
    price: int = Field(ge=0)  # total besitos spent
    idempotency_key: str | None = None


class ItemPurchased(BaseEvent):
    event_type: Literal["item_purchased"] = "item_purchased"
    payload: ItemPurchasedPayload


class ItemUsedPayload(Payload):
    item_id: str = Field(min_length=1)
    # {reveal_hint: HINT_ID} or {unlock_fragment: FRAGMENT_ID}
    effect: dict[str, str] = Field(default_factory=dict)
    idempotency_key: str | None = None


class ItemUsed(BaseEvent):
    event_type: Literal["item_used"] = "item_used"
    payload: ItemUsedPayload


class AchievementUnlockedPayload(Payload):
    achievement_id: str = Field(min_length=1)
    name: str
    reward: int = Field(0, ge=0)


class AchievementUnlocked(BaseEvent):
    event_type: Literal["achievement_unlocked"] = "achievement_unlocked"
    payload: AchievementUnlockedPayload


class MissionPayload(Payload):
    mission_id: str = Field(min_length=1)
    name: str
    day: str  # YYYY-MM-DD in the user's timezone
    target: int = Field(gt=0)
    reward: int = Field(0, ge=0)
    expires_at: datetime


class MissionAssigned(BaseEvent):
    event_type: Literal["mission_assigned"] = "mission_assigned"
    payload: MissionPayload


class MissionCompleted(BaseEvent):
    event_type: Literal["mission_completed"] = "mission_completed"
    payload: MissionPayload


class TriviaAnsweredPayload(Payload):
    question_id: str = Field(min_length=1)
    option: int = Field(ge=0)
    correct: bool
    reward: int = Field(0, ge=0)


class TriviaAnswered(BaseEvent):
    event_type: Literal["trivia_answered"] = "trivia_answered"
    payload: TriviaAnsweredPayload


class FragmentPayload(Payload):
    fragment_id: str = Field(min_length=1)
    choice_id: str | None = None  # the choice that led here (started) or away (completed)


class FragmentStarted(BaseEvent):
    event_type: Literal["fragment_started"] = "fragment_started"
    payload: FragmentPayload


class FragmentCompleted(BaseEvent):
    event_type: Literal["fragment_completed"] = "fragment_completed"
    payload: FragmentPayload


class LevelCompletedPayload(Payload):
    level_id: str = Field(min_length=1)
    fragment_id: str  # the level's last fragment, just completed


class LevelCompleted(BaseEvent):
    event_type: Literal["level_completed"] = "level_completed"
    payload: LevelCompletedPayload


class SecretDiscoveredPayload(Payload):
    choice_id: str = Field(min_length=1)
    fragment_id: str
    next_fragment_id: str | None = None


class SecretDiscovered(BaseEvent):
    event_type: Literal["secret_discovered"] = "secret_discovered"
    payload: SecretDiscoveredPayload


class ContentPublishedPayload(Payload):
    source: str
    # section -> ids, e.g. {"fragments": ["forest_002"], "items": ["lantern_001"]}
    added: dict[str, list[str]] = Field(default_factory=dict)
    changed: dict[str, list[str]] = Field(default_factory=dict)
    details: dict[str, Any] = Field(default_factory=dict)


class ContentPublished(BaseEvent):
    """A content pack was loaded: what it added or changed (not about a user)."""

    requires_user: ClassVar[bool] = False
    event_type: Literal["content_published"] = "content_published"
    payload: ContentPublishedPayload


ECONOMY_EVENTS: tuple[type[BaseEvent], ...] = (
    ItemPurchased, ItemUsed, AchievementUnlocked, MissionAssigned, MissionCompleted,
    TriviaAnswered, FragmentStarted, FragmentCompleted, LevelCompleted, SecretDiscovered,
    ContentPublished)
