"""Long polling into the same inbox as the webhook: an update is recorded before its offset
is confirmed, so a crash or a network error never loses it (redeliveries are de-duplicated).
"""

from __future__ import annotations

import asyncio

from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import GetUpdates

from yabot.bot.dispatcher import ALLOWED_UPDATES
from yabot.bot.inbox import UpdateInbox
from yabot.bot.session import RETRYABLE
from yabot.logs import get_logger

log = get_logger(__name__)


class Poller:
    def __init__(self, bot: Bot, inbox: UpdateInbox, *, timeout: int = 10,
                 max_backoff: float = 30.0) -> None:
        self.bot, self.inbox, self.timeout = bot, inbox, timeout
        self.max_backoff = max_backoff
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="bot-polling")

    async def stop(self) -> None:
        """Stop intake; an in-flight getUpdates is abandoned (its offset is not confirmed)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        log.info("polling stopped")

    async def run(self) -> None:
        await self._call_with_backoff("deleteWebhook",
                                      lambda: self.bot.delete_webhook(drop_pending_updates=False))
        log.info("polling started", allowed_updates=ALLOWED_UPDATES)
        offset: int | None = None
        delay = 1.0
        while True:
            try:
                updates = await self.bot(GetUpdates(
                    offset=offset, timeout=self.timeout, allowed_updates=ALLOWED_UPDATES),
                    request_timeout=self.timeout + 15)
                for update in updates:
                    raw = update.model_dump(mode="json", by_alias=True, exclude_none=True,
                                            exclude_unset=True)
                    await self.inbox.record(raw)
                    offset = update.update_id + 1
                delay = 1.0
            except TelegramRetryAfter as exc:
                log.warning("getUpdates: Telegram asks to wait", retry_after=exc.retry_after)
                await asyncio.sleep(exc.retry_after)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # network, 5xx, or the inbox store: back off, retry
                log.warning("getUpdates failed; retrying", error=type(exc).__name__,
                            delay=delay, transient=isinstance(exc, RETRYABLE))
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_backoff)

    async def _call_with_backoff(self, what: str, call: object) -> None:
        delay = 1.0
        while True:
            try:
                await call()  # type: ignore[operator]
                return
            except Exception as exc:
                log.warning(f"{what} failed; retrying", error=type(exc).__name__, delay=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_backoff)
