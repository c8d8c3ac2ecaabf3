"""Domain events: the contract's envelope fields plus a typed payload per event type.

Serialization is JSON with a fixed field order and a `schema_version`; `parse_event`
rebuilds the typed class from the registry and rejects unknown types and newer versions.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from yabot.domain.context import current_correlation_id
from yabot.domain.errors import YabotError

SCHEMA_VERSION = 1
E = TypeVar("E", bound="BaseEvent")


class EventError(YabotError):
    """Unknown event type, invalid payload, or a schema version this code cannot read."""


def new_event_id() -> str:
    return uuid.uuid4().hex


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BaseEvent(BaseModel):
    """Every event: ids for tracing, the user it is about, a typed payload."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    requires_user: ClassVar[bool] = True

    event_id: str = Field(default_factory=new_event_id, min_length=1)
    event_type: str
    timestamp: datetime = Field(default_factory=lambda: datetime.now(UTC))
    correlation_id: str = Field(default_factory=current_correlation_id)
    causation_id: str | None = None
    user_id: str | None = None
    payload: Payload
    # per-user order across processes: assigned in the publishing transaction (coordinator)
    sequence: int | None = Field(default=None, ge=1)
    schema_version: int = SCHEMA_VERSION

    def model_post_init(self, _context: Any) -> None:
        if self.requires_user and not self.user_id:
            raise ValueError(f"{self.event_type} needs a user_id")

    def to_json(self) -> str:
        return self.model_dump_json()

    def follow(self, cls: type[E], **fields: Any) -> E:
        """An event caused by this one: same correlation, causation = this event."""
        fields.setdefault("user_id", self.user_id)
        return cls(correlation_id=self.correlation_id, causation_id=self.event_id, **fields)


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


EVENT_TYPES: dict[str, type[BaseEvent]] = {
    cls.model_fields["event_type"].default: cls
    for cls in (UserRegistered, UserInteraction, UpdateReceived, CommandExecuted, UserActivity,
                UserDeleted, ReactionDetected, DecisionMade, BesitosAwarded, BesitosSpent,
                NarrativeHintUnlocked, SubscriptionUpdated, VipAccessGranted, VipAccessDenied,
                SubscriptionExpiring)
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
