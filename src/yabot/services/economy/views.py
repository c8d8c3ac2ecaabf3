"""What the economy's services return to the API and the bot."""

from __future__ import annotations

from datetime import datetime

from yabot.domain.views import View


class InventoryLine(View):
    item_id: str
    name: str
    quantity: int
    kind: str
    usable: bool


class PurchaseResult(View):
    user_id: str
    item_id: str
    quantity: int
    balance: int
    inventory: list[InventoryLine]
    applied: bool  # False: the idempotency key was seen, nothing changed


class UseResult(View):
    user_id: str
    item_id: str
    remaining: int
    effect: dict[str, str]
    hint_text: str | None = None  # reveal_hint: what the user now knows
    applied: bool


class AchievementLine(View):
    achievement_id: str
    name: str
    description: str | None = None
    reward: int
    unlocked_at: datetime | None


class MissionLine(View):
    mission_id: str
    name: str
    progress: int
    target: int
    reward: int
    status: str  # active | completed | expired
    expires_at: datetime


class TriviaAnswer(View):
    question_id: str
    option: int
    correct: bool
    reward: int
    applied: bool  # False: answered before, nothing changed
    correct_option: int


class GiftResult(View):
    user_id: str
    amount: int
    streak: int
    balance: int
    recovered: bool


class LevelView(View):
    level: int
    earned: int
    to_next: int | None


class RankingEntry(View):
    rank: int
    user_id: str
    display_name: str
    earned: int
