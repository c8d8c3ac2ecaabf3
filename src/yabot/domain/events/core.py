"""The core contexts' events: users, bot activity, narrative, besitos, subscriptions, VIP."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from yabot.domain.events.base import BaseEvent, Payload

# --- payloads and event classes ------------------------------------------------------


class UserRegisteredPayload(Payload):
    telegram_user_id: int
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    language_code: str | None = None


class UserRegistered(BaseEvent):
    event_type: Literal["user_registered"] = "user_registered"
    payload: UserRegisteredPayload


class UserInteractionPayload(Payload):
    action: str
    context: dict[str, Any] = Field(default_factory=dict)


class UserInteraction(BaseEvent):
    event_type: Literal["user_interaction"] = "user_interaction"
    payload: UserInteractionPayload


class UpdateReceivedPayload(Payload):
    update_id: int
    update_type: str


class UpdateReceived(BaseEvent):
    requires_user: ClassVar[bool] = False
    event_type: Literal["update_received"] = "update_received"
    payload: UpdateReceivedPayload


class CommandExecutedPayload(Payload):
    command: str
    args: str | None = None
    outcome: str = "ok"  # e.g. ok | vip_denied | invalid | unknown_command | error


class CommandExecuted(BaseEvent):
    event_type: Literal["command_executed"] = "command_executed"
    payload: CommandExecutedPayload


class UserActivityPayload(Payload):
    activity: str
    details: dict[str, Any] = Field(default_factory=dict)


class UserActivity(BaseEvent):
    event_type: Literal["user_activity"] = "user_activity"
    payload: UserActivityPayload


class UserDeletedPayload(Payload):
    reason: str | None = None


class UserDeleted(BaseEvent):
    event_type: Literal["user_deleted"] = "user_deleted"
    payload: UserDeletedPayload


class ReactionDetectedPayload(Payload):
    content_id: str = Field(min_length=1)
    reaction_type: str = Field(min_length=1)
    metadata: dict[str, Any] = Field(default_factory=dict)


class ReactionDetected(BaseEvent):
    event_type: Literal["reaction_detected"] = "reaction_detected"
    payload: ReactionDetectedPayload


class DecisionMadePayload(Payload):
    choice_id: str = Field(min_length=1)
    context: dict[str, Any] = Field(default_factory=dict)


class DecisionMade(BaseEvent):
    event_type: Literal["decision_made"] = "decision_made"
    payload: DecisionMadePayload


class BesitosPayload(Payload):
    amount: int = Field(gt=0)
    reason: str
    balance: int = Field(ge=0)
    idempotency_key: str | None = None


class BesitosAwarded(BaseEvent):
    event_type: Literal["besitos_awarded"] = "besitos_awarded"
    payload: BesitosPayload


class BesitosSpent(BaseEvent):
    event_type: Literal["besitos_spent"] = "besitos_spent"
    payload: BesitosPayload


class NarrativeHintUnlockedPayload(Payload):
    hint_id: str
    fragment_id: str | None = None


class NarrativeHintUnlocked(BaseEvent):
    event_type: Literal["narrative_hint_unlocked"] = "narrative_hint_unlocked"
    payload: NarrativeHintUnlockedPayload


class SubscriptionUpdatedPayload(Payload):
    status: Literal["active", "inactive", "cancelled", "expired"]
    plan_type: Literal["free", "premium", "vip"] | None = None


class SubscriptionUpdated(BaseEvent):
    event_type: Literal["subscription_updated"] = "subscription_updated"
    payload: SubscriptionUpdatedPayload


class SubscriptionExpiringPayload(Payload):
    plan_type: Literal["premium", "vip"]
    end_date: datetime
    subscription_id: int | None = None


class SubscriptionExpiring(BaseEvent):
    """A paid plan ends within 3 days (sent once per plan period)."""

    event_type: Literal["subscription_expiring"] = "subscription_expiring"
    payload: SubscriptionExpiringPayload


class VipAccessPayload(Payload):
    resource: str
    reason: str | None = None


class VipAccessGranted(BaseEvent):
    event_type: Literal["vip_access_granted"] = "vip_access_granted"
    payload: VipAccessPayload


class VipAccessDenied(BaseEvent):
    event_type: Literal["vip_access_denied"] = "vip_access_denied"
    payload: VipAccessPayload


CORE_EVENTS: tuple[type[BaseEvent], ...] = (
    UserRegistered, UserInteraction, UpdateReceived, CommandExecuted, UserActivity,
    UserDeleted, ReactionDetected, DecisionMade, BesitosAwarded, BesitosSpent,
    NarrativeHintUnlocked, SubscriptionUpdated, VipAccessGranted, VipAccessDenied,
    SubscriptionExpiring)
