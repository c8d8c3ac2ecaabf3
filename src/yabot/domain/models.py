"""Document shapes (seed design): users, narrative fragments and items; content-pack hints."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from yabot.domain.clock import utcnow
from yabot.domain.economy import ItemEffect


class _Doc(BaseModel):
    model_config = ConfigDict(extra="allow")


class ChoiceMade(_Doc):
    fragment: str
    choice: str


class NarrativeProgress(_Doc):
    current_fragment: str | None = None
    completed_fragments: list[str] = Field(default_factory=list)
    choices_made: list[ChoiceMade] = Field(default_factory=list)


class CurrentState(_Doc):
    menu_context: str = "main_menu"
    narrative_progress: NarrativeProgress = Field(default_factory=NarrativeProgress)
    session_data: dict[str, Any] = Field(default_factory=dict)


class Preferences(_Doc):
    language: str = "es"
    notifications_enabled: bool = True
    theme: str = "default"


class UserDocument(_Doc):
    """A user's dynamic state. `version` grows with every write (idempotent replays)."""

    user_id: str
    current_state: CurrentState = Field(default_factory=CurrentState)
    preferences: Preferences = Field(default_factory=Preferences)
    version: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Choice(_Doc):
    id: str
    text: str
    next_fragment: str | None = None
    secret: bool = False  # taking it publishes `secret_discovered` (once per user)


class FragmentMetadata(_Doc):
    difficulty: str | None = None
    tags: list[str] = Field(default_factory=list)
    vip_required: bool = False


class NarrativeFragment(_Doc):
    fragment_id: str
    title: str
    content: str
    choices: list[Choice] = Field(default_factory=list)
    metadata: FragmentMetadata = Field(default_factory=FragmentMetadata)
    created_at: datetime = Field(default_factory=utcnow)


class Item(_Doc):
    item_id: str
    name: str
    type: str = "item"
    metadata: dict[str, Any] = Field(default_factory=dict)
    price: int | None = Field(None, gt=0)  # besitos; None = not for sale
    kind: Literal["consumable", "permanent", "collectible"] = "collectible"
    effect: ItemEffect | None = None  # consumables only
    vip_only: bool = False
    description: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Hint(BaseModel):
    """A content-pack hint: unlocked when the user's besitos balance reaches `threshold`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hint_id: str = Field(min_length=1)
    fragment_id: str = Field(min_length=1)
    threshold: int = Field(gt=0)
    text: str | None = None
