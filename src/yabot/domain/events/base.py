"""The event envelope: the contract's fields plus a typed payload, JSON with a schema version."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field

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
