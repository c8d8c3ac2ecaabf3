"""Request and response bodies of the economy's routes (shop, inventory, achievements,
missions, daily gift, ranking)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from yabot.api.schemas import KEY_PATTERN
from yabot.domain.models import Item
from yabot.services.economy.views import InventoryLine, MissionLine, RankingEntry


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ShopItemOut(Out):
    item_id: str
    name: str
    price: int
    kind: str
    description: str | None = None
    effect: dict[str, str] | None = None
    vip_only: bool = False

    @classmethod
    def of(cls, item: Item) -> ShopItemOut:
        return cls(item_id=item.item_id, name=item.name, price=item.price or 0, kind=item.kind,
                   description=item.description, vip_only=item.vip_only,
                   effect=item.effect.as_dict() if item.effect is not None else None)


class ShopItemsOut(Out):
    items: list[ShopItemOut]


class PurchaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_id: str = Field(min_length=1, max_length=64, examples=["lantern_001"])
    quantity: int = Field(1, strict=True, ge=1, le=1000)
    idempotency_key: str = Field(pattern=KEY_PATTERN, examples=["buy-2026-12-01-1"])


class InventoryItemOut(Out):
    item_id: str
    name: str
    quantity: int
    kind: str
    usable: bool

    @classmethod
    def of(cls, line: InventoryLine) -> InventoryItemOut:
        return cls(**line.model_dump())


class PurchaseOut(Out):
    user_id: str
    item_id: str
    balance: int
    inventory: list[InventoryItemOut]


class InventoryOut(Out):
    user_id: str
    items: list[InventoryItemOut]


class UseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    idempotency_key: str = Field(pattern=KEY_PATTERN, examples=["use-1"])


class UseOut(Out):
    user_id: str
    item_id: str
    remaining: int
    effect: dict[str, str]
    hint_text: str | None = None


class AchievementOut(Out):
    achievement_id: str
    name: str
    description: str | None = None
    reward: int
    unlocked_at: datetime | None


class AchievementsOut(Out):
    user_id: str
    achievements: list[AchievementOut]


class MissionOut(Out):
    mission_id: str
    name: str
    progress: int
    target: int
    reward: int
    status: Literal["active", "completed", "expired"]
    expires_at: datetime

    @classmethod
    def of(cls, line: MissionLine) -> MissionOut:
        return cls(**line.model_dump())


class MissionsOut(Out):
    user_id: str
    missions: list[MissionOut]


class GiftOut(Out):
    user_id: str
    amount: int
    streak: int
    balance: int


class RankingEntryOut(Out):
    rank: int
    user_id: str
    display_name: str
    earned: int

    @classmethod
    def of(cls, entry: RankingEntry) -> RankingEntryOut:
        return cls(**entry.model_dump())


class RankingOut(Out):
    period: Literal["week"] = "week"
    entries: list[RankingEntryOut]
