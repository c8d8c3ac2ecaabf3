"""Domain events: one module per context, one registry that reads and checks them all.

`parse_event` rebuilds the typed class from the registry and rejects unknown types and
newer schema versions. A context adds its events in its own module and its tuple here.
"""

from __future__ import annotations

import json

from pydantic import ValidationError

from yabot.domain.events.auctions import (
    AUCTION_EVENTS,
    AuctionClosed,
    AuctionClosedPayload,
    AuctionLost,
    AuctionLostPayload,
    AuctionOutbid,
    AuctionOutbidPayload,
    AuctionWon,
    AuctionWonPayload,
)
from yabot.domain.events.base import (
    SCHEMA_VERSION,
    BaseEvent,
    EventError,
    Payload,
    new_event_id,
)
from yabot.domain.events.core import (
    CORE_EVENTS,
    BesitosAwarded,
    BesitosPayload,
    BesitosSpent,
    CommandExecuted,
    CommandExecutedPayload,
    DecisionMade,
    DecisionMadePayload,
    NarrativeHintUnlocked,
    NarrativeHintUnlockedPayload,
    ReactionDetected,
    ReactionDetectedPayload,
    SubscriptionExpiring,
    SubscriptionExpiringPayload,
    SubscriptionUpdated,
    SubscriptionUpdatedPayload,
    UpdateReceived,
    UpdateReceivedPayload,
    UserActivity,
    UserActivityPayload,
    UserDeleted,
    UserDeletedPayload,
    UserInteraction,
    UserInteractionPayload,
    UserRegistered,
    UserRegisteredPayload,
    VipAccessDenied,
    VipAccessGranted,
    VipAccessPayload,
)
from yabot.domain.events.economy import (
    ECONOMY_EVENTS,
    AchievementUnlocked,
    AchievementUnlockedPayload,
    ContentPublished,
    ContentPublishedPayload,
    FragmentCompleted,
    FragmentPayload,
    FragmentStarted,
    ItemPurchased,
    ItemPurchasedPayload,
    ItemUsed,
    ItemUsedPayload,
    LevelCompleted,
    LevelCompletedPayload,
    MissionAssigned,
    MissionCompleted,
    MissionPayload,
    SecretDiscovered,
    SecretDiscoveredPayload,
    TriviaAnswered,
    TriviaAnsweredPayload,
)
from yabot.domain.events.payments import (
    PAYMENT_EVENTS,
    ChannelMemberPayload,
    PaymentReceived,
    PaymentReceivedPayload,
    PaymentRefunded,
    PaymentRefundedPayload,
    SubscriptionExpired,
    SubscriptionExpiredPayload,
    SubscriptionStarted,
    SubscriptionStartedPayload,
    UserJoinedChannel,
    UserLeftChannel,
)

EVENT_TYPES: dict[str, type[BaseEvent]] = {
    cls.model_fields["event_type"].default: cls
    for cls in (*CORE_EVENTS, *ECONOMY_EVENTS, *AUCTION_EVENTS, *PAYMENT_EVENTS)
}


def event_class(event_type: str) -> type[BaseEvent]:
    try:
        return EVENT_TYPES[event_type]
    except KeyError:
        raise EventError(f"unknown event type {event_type!r}") from None


def validate_event(event: BaseEvent) -> BaseEvent:
    """Check an event before publishing: a registered type and its own typed class."""
    cls = event_class(event.event_type)
    if not isinstance(event, cls):
        try:
            return cls.model_validate(event.model_dump())
        except ValidationError as exc:
            raise EventError(f"invalid {event.event_type} event: {exc}") from exc
    return event


def parse_event(data: str | bytes) -> BaseEvent:
    """Rebuild a typed event from its JSON; EventError when it cannot be read."""
    try:
        raw = json.loads(data)
    except ValueError as exc:
        raise EventError(f"event is not JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise EventError("event JSON must be an object")
    cls = event_class(str(raw.get("event_type")))
    version = raw.get("schema_version", SCHEMA_VERSION)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise EventError(f"{cls.__name__} schema_version {version!r} is newer than this code")
    try:
        return cls.model_validate(raw)
    except ValidationError as exc:
        raise EventError(f"invalid {raw.get('event_type')} event: {exc}") from exc

__all__ = [
    "AUCTION_EVENTS",
    "ECONOMY_EVENTS",
    "EVENT_TYPES",
    "SCHEMA_VERSION",
    "AchievementUnlocked",
    "AchievementUnlockedPayload",
    "AuctionClosed",
    "AuctionClosedPayload",
    "AuctionLost",
    "AuctionLostPayload",
    "AuctionOutbid",
    "AuctionOutbidPayload",
    "AuctionWon",
    "AuctionWonPayload",
    "BaseEvent",
    "BesitosAwarded",
    "BesitosPayload",
    "BesitosSpent",
    "ChannelMemberPayload",
    "CommandExecuted",
    "CommandExecutedPayload",
    "ContentPublished",
    "ContentPublishedPayload",
    "DecisionMade",
    "DecisionMadePayload",
    "EventError",
    "FragmentCompleted",
    "FragmentPayload",
    "FragmentStarted",
    "ItemPurchased",
    "ItemPurchasedPayload",
    "ItemUsed",
    "ItemUsedPayload",
    "LevelCompleted",
    "LevelCompletedPayload",
    "MissionAssigned",
    "MissionCompleted",
    "MissionPayload",
    "NarrativeHintUnlocked",
    "NarrativeHintUnlockedPayload",
    "Payload",
    "PaymentReceived",
    "PaymentReceivedPayload",
    "PaymentRefunded",
    "PaymentRefundedPayload",
    "ReactionDetected",
    "ReactionDetectedPayload",
    "SecretDiscovered",
    "SecretDiscoveredPayload",
    "SubscriptionExpired",
    "SubscriptionExpiredPayload",
    "SubscriptionExpiring",
    "SubscriptionExpiringPayload",
    "SubscriptionStarted",
    "SubscriptionStartedPayload",
    "SubscriptionUpdated",
    "SubscriptionUpdatedPayload",
    "TriviaAnswered",
    "TriviaAnsweredPayload",
    "UpdateReceived",
    "UpdateReceivedPayload",
    "UserActivity",
    "UserActivityPayload",
    "UserDeleted",
    "UserDeletedPayload",
    "UserInteraction",
    "UserInteractionPayload",
    "UserJoinedChannel",
    "UserLeftChannel",
    "UserRegistered",
    "UserRegisteredPayload",
    "VipAccessDenied",
    "VipAccessGranted",
    "VipAccessPayload",
    "event_class",
    "new_event_id",
    "parse_event",
    "validate_event",
]
