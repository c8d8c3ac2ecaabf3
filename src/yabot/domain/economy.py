"""Content-pack shapes of the economy: item effects, rules, achievements, missions, trivia,
levels; and the level ladder from lifetime besitos earned."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ItemEffect(_Entry):
    """What using a consumable does: exactly one of the two."""

    reveal_hint: str | None = Field(None, min_length=1)
    unlock_fragment: str | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _one(self) -> Self:
        if (self.reveal_hint is None) == (self.unlock_fragment is None):
            raise ValueError("an effect is exactly one of reveal_hint or unlock_fragment")
        return self

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class Rule(_Entry):
    """Counts events of one type for a user: `{event: reaction_detected, count: 3}`."""

    event: str = Field(min_length=1)
    count: int = Field(1, gt=0, le=1_000_000)


class Achievement(_Entry):
    achievement_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    description: str | None = None
    rule: Rule
    reward: int = Field(0, ge=0)


class Mission(_Entry):
    mission_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    rule: Rule
    reward: int = Field(gt=0)


class TriviaQuestion(_Entry):
    question_id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    options: list[str] = Field(min_length=2, max_length=8)
    answer: int = Field(ge=0)
    reward: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _answer_in_range(self) -> Self:
        if self.answer >= len(self.options):
            raise ValueError(f"answer {self.answer} is not an index of options "
                             f"(0..{len(self.options) - 1})")
        return self


class Level(_Entry):
    level_id: str = Field(min_length=1)
    name: str | None = None
    fragments: list[str] = Field(min_length=1)


# besitos earned over a lifetime needed for each level (level 1 needs nothing)
LEVEL_THRESHOLDS: tuple[int, ...] = (0, 10, 30, 60, 100, 160, 250, 400, 600, 1000)


def level_for(earned: int) -> tuple[int, int | None]:
    """(level, besitos still needed for the next level, None at the top)."""
    level = sum(1 for t in LEVEL_THRESHOLDS if earned >= t)
    nxt = LEVEL_THRESHOLDS[level] - earned if level < len(LEVEL_THRESHOLDS) else None
    return max(level, 1), nxt


SECTION_KINDS = ("achievements", "missions", "trivia", "levels")


def section_json(data: object) -> str:
    """A content-pack section entry as stored: canonical JSON (sorted keys, compact)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class MissionRow:
    """A user's mission of one day, as stored."""

    mission_id: str
    name: str
    event_type: str
    target: int
    progress: int
    reward: int
    status: str
    expires_at: datetime


@dataclass(frozen=True)
class Operation:
    """A purchase or use of an item, recorded by its idempotency key."""

    key: str
    user_id: str
    kind: str
    item_id: str
    quantity: int
