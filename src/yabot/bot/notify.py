"""Tell users what happened on the bus: besitos earned by a reaction, hints unlocked,
missions completed, achievements unlocked (best effort).

A bus subscriber (group `bot-notify`) queues the notice; a sender task delivers it with the
bot once one is attached, so no Telegram call runs inside the consumer's transaction.
"""

from __future__ import annotations

import asyncio
import contextlib

from aiogram import Bot

from yabot.bot.texts import language_of, t
from yabot.bot.texts_economy import te
from yabot.domain.events import (
    AchievementUnlocked,
    BaseEvent,
    BesitosAwarded,
    MissionCompleted,
    NarrativeHintUnlocked,
)
from yabot.events.bus import EventBus, HandlerContext
from yabot.logs import get_logger
from yabot.services.container import DomainServices

log = get_logger(__name__)
GROUP = "bot-notify"


class Notifier:
    def __init__(self, services: DomainServices, *, group: str = GROUP,
                 only_user: str | None = None, max_queued: int = 10_000) -> None:
        self.services, self.group, self.only_user = services, group, only_user
        self.queue: asyncio.Queue[BaseEvent] = asyncio.Queue(max_queued)
        self.bot: Bot | None = None
        self._task: asyncio.Task[None] | None = None

    def register(self, bus: EventBus) -> None:
        """Subscribe (before `bus.start()`)."""
        bus.add_subscriber("besitos_awarded", self._on_event, group=self.group)
        bus.add_subscriber("narrative_hint_unlocked", self._on_event, group=self.group)
        bus.add_subscriber("mission_completed", self._on_event, group=self.group)
        bus.add_subscriber("achievement_unlocked", self._on_event, group=self.group)

    async def _on_event(self, event: BaseEvent, _ctx: HandlerContext) -> None:
        if isinstance(event, BesitosAwarded) and event.payload.reason != "reaction":
            return
        if self.only_user is not None and event.user_id != self.only_user:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            log.warning("notice dropped: queue full", event_id=event.event_id)

    def attach(self, bot: Bot) -> None:
        self.bot = bot
        self._task = asyncio.create_task(self._send_loop(), name="bot-notifier")

    async def detach(self, timeout: float = 5.0) -> None:
        """Send what is queued (within `timeout`), then stop."""
        if self._task is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.queue.join(), timeout)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _send_loop(self) -> None:
        while True:
            event = await self.queue.get()
            try:
                await self._send(event)
            except Exception as exc:  # a notice is best effort
                log.warning("notice not sent", event_id=event.event_id,
                            error=f"{type(exc).__name__}: {exc}")
            finally:
                self.queue.task_done()

    async def _send(self, event: BaseEvent) -> None:
        assert self.bot is not None
        assert event.user_id is not None
        user_id = event.user_id
        ctx = await self.services.users.get_user_context(user_id)
        lang = language_of(ctx.preferences.language)
        if isinstance(event, BesitosAwarded):
            text = t("besitos_earned", lang, amount=event.payload.amount,
                     balance=event.payload.balance)
        elif isinstance(event, NarrativeHintUnlocked):
            hints = await self.services.narrative.unlocked_hints(user_id)
            hint = next((h for h in hints if h.hint_id == event.payload.hint_id), None)
            if hint is None or not hint.text:
                return
            text = t("hint_unlocked", lang, text=hint.text)
        elif isinstance(event, MissionCompleted):
            text = te("notice_mission", lang, name=event.payload.name,
                      reward=event.payload.reward)
        elif isinstance(event, AchievementUnlocked):
            reward = (te("notice_reward", lang, reward=event.payload.reward)
                      if event.payload.reward else "")
            text = te("notice_achievement", lang, name=event.payload.name) + reward
        else:
            return
        await self.bot.send_message(int(user_id), text)
