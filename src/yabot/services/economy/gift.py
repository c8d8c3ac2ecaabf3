"""The daily gift: once per user and local day; consecutive days grow a streak and the
gift (capped); a missed day resets it, except one recovered day per calendar month.
VIPs get `VIP_BESITOS_MULTIPLIER` times the gift."""

from __future__ import annotations

from datetime import date, timedelta

from yabot.domain.clock import utcnow
from yabot.domain.days import local_day
from yabot.domain.errors import AlreadyClaimedError, NotFoundError
from yabot.events.bus import EventBus
from yabot.events.handler_context import Publisher
from yabot.services.economy.ports import EconomyStore
from yabot.services.economy.views import GiftResult
from yabot.services.users.timezone import user_zone
from yabot.services.wallet.service import BesitosService
from yabot.settings import EconomySettings
from yabot.storage.documents.base import DocumentStore


def next_streak(today: date, history: list[tuple[str, int, bool]]) -> tuple[int, bool]:
    """(streak, recovered) for a gift claimed `today` after `history` (newest first)."""
    if not history:
        return 1, False
    last_day, last_streak, _ = history[0]
    gap = (today - date.fromisoformat(last_day)).days
    if gap == 1:
        return last_streak + 1, False
    month = today.strftime("%Y-%m")
    used = any(rec and d.startswith(month) for d, _, rec in history)
    if gap == 2 and not used:
        return last_streak + 1, True  # one missed day forgiven this month
    return 1, False


def gift_amount(streak: int, settings: EconomySettings, vip: bool) -> int:
    base = settings.daily_gift_besitos + min(streak, settings.daily_gift_streak_cap) - 1
    return base * (settings.vip_besitos_multiplier if vip else 1)


class DailyGift:
    def __init__(self, *, store: EconomyStore, documents: DocumentStore, bus: EventBus,
                 besitos: BesitosService, settings: EconomySettings) -> None:
        self.store, self.documents, self.bus = store, documents, bus
        self.besitos, self.settings = besitos, settings

    async def claim(self, user_id: str) -> GiftResult:
        """Today's gift: AlreadyClaimedError (409) the second time, NotFoundError("user")."""
        now = utcnow()
        day = local_day(now, await user_zone(self.documents, user_id,
                                             self.settings.default_timezone))
        try:
            async with self.bus.transaction() as tx:
                return await self._claim(tx, user_id, day.day, now)
        except self.store.races:  # a concurrent claim of the same day won (PostgreSQL)
            raise AlreadyClaimedError(user_id, day.key) from None

    async def _claim(self, tx: Publisher, user_id: str, today: date,
                     now: object) -> GiftResult:
        if not await self.store.user_exists(user_id, tx=tx):
            raise NotFoundError("user", user_id)
        history = await self.store.recent_gifts(user_id, tx=tx)
        if history and history[0][0] >= today.isoformat():
            raise AlreadyClaimedError(user_id, today.isoformat())
        streak, recovered = next_streak(today, history)
        vip = await self.store.is_vip(tx, user_id, utcnow())
        amount = gift_amount(streak, self.settings, vip)
        if not await self.store.record_gift(tx, user_id, today.isoformat(), amount, streak,
                                            recovered, utcnow()):
            raise AlreadyClaimedError(user_id, today.isoformat())
        result = await self.besitos.award(user_id, amount, "daily_gift",
                                          f"daily_gift:{user_id}:{today.isoformat()}", tx=tx)
        return GiftResult(user_id=user_id, amount=amount, streak=streak,
                          balance=result.balance, recovered=recovered)

    async def streak(self, user_id: str) -> int:
        """The current streak (0 when it is already broken)."""
        today = local_day(utcnow(), await user_zone(self.documents, user_id,
                                                    self.settings.default_timezone)).day
        history = await self.store.recent_gifts(user_id, limit=1)
        if not history or date.fromisoformat(history[0][0]) < today - timedelta(days=2):
            return 0
        return history[0][1]
