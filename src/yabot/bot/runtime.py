"""BotRuntime: the bot's part of `yabot run` (webhook or polling), built and stopped by server.py.

Build it before `bus.start()` (the notifier subscribes), mount `routers()` on the API, call
`start()` once the HTTP server is up, `stop_intake()` then `stop()` on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from aiogram import Bot
from fastapi import APIRouter

from yabot.bot.auction_notices import AuctionNotifier
from yabot.bot.dispatcher import create_bot, create_dispatcher
from yabot.bot.fsm import create_storage
from yabot.bot.inbox import UpdateInbox
from yabot.bot.inbox_worker import UpdateProcessor
from yabot.bot.notify import Notifier
from yabot.bot.observe import CountBotApiCalls
from yabot.bot.outgoing import telegram_send
from yabot.bot.payments_gateway import BotPaymentsGateway, set_commands
from yabot.bot.polling import Poller
from yabot.bot.webhook import create_webhook_router, set_webhook, webhook_url
from yabot.domain.health import ComponentHealth
from yabot.events.bus import EventBus
from yabot.logs import get_logger
from yabot.observability.metrics import Metrics
from yabot.services.container import DomainServices
from yabot.services.messaging.pacing import create_limiter
from yabot.services.messaging.sender import Sender, SenderConfig
from yabot.settings import Settings

log = get_logger(__name__)
KEEP_PROCESSED = timedelta(days=7)


class BotRuntime:
    def __init__(self, *, settings: Settings, domain: DomainServices, bus: EventBus,
                 bot: Bot | None = None, metrics: Metrics | None = None) -> None:
        self.settings, self.domain = settings.bot, domain
        self.bot = bot or create_bot(settings.bot)
        if metrics is not None:  # inside the retrying middleware: every attempt counts
            self.bot.session.middleware(CountBotApiCalls(metrics))
        self.storage = create_storage(settings.redis)
        self.dispatcher = create_dispatcher(domain, storage=self.storage)
        self.inbox = UpdateInbox(bus, domain.updates, metrics)
        self.notifier = Notifier(domain)
        self.notifier.register(bus)
        AuctionNotifier(domain).register(bus)  # notices on the durable send queue
        self.processor = UpdateProcessor(inbox=self.inbox, records=domain.updates,
                                         dispatcher=self.dispatcher, bot=self.bot)
        bot_cfg = settings.bot
        self.sender = Sender(domain.messages.store, telegram_send(self.bot), config=SenderConfig(
            rate=bot_cfg.telegram_send_rate, chat_rate=bot_cfg.telegram_chat_rate,
            lease=bot_cfg.telegram_send_lease_seconds),
            limiter=create_limiter(settings.redis, bot_cfg.telegram_send_rate))
        self.processor.on_commit = self.sender.wake
        domain.messages.on_queued = self.sender.wake  # notices queued in other transactions
        self.processor.sender = self.sender  # replies committed already claimed
        self.webhook = settings.bot.bot_mode == "webhook"
        self.poller = None if self.webhook else Poller(self.bot, self.inbox)
        self._webhook_task: asyncio.Task[None] | None = None
        self._commands_task: asyncio.Task[None] | None = None
        self._started = False

    def routers(self) -> list[APIRouter]:
        """The webhook route, in webhook mode."""
        if not self.webhook:
            return []
        assert self.settings.webhook_secret is not None
        return [create_webhook_router(path=self.settings.webhook_path,
                                      secret=self.settings.webhook_secret.get_secret_value(),
                                      inbox=self.inbox)]

    async def start(self) -> None:
        with contextlib.suppress(Exception):
            purged = await self.domain.updates.purge_done(KEEP_PROCESSED)
            if purged:
                log.info("old processed updates purged", count=purged)
        self.sender.start()  # first: what an earlier run committed goes out
        await self.processor.start()
        self.domain.payments.attach_gateway(BotPaymentsGateway(self.bot, self.domain))
        if not self.domain.channel.enabled:
            log.info("VIP channel off: VIP_CHANNEL_ID is not set")
        # in the background: the session retries an unreachable Bot API for minutes, and the
        # command list is a convenience that must never hold start-up (or readiness) back
        self._commands_task = asyncio.create_task(self._set_commands())
        if self.webhook:
            assert self.settings.webhook_base_url
            assert self.settings.webhook_secret
            url = webhook_url(self.settings.webhook_base_url, self.settings.webhook_path)
            self._webhook_task = asyncio.create_task(set_webhook(
                self.bot, url=url, secret=self.settings.webhook_secret.get_secret_value()))
        elif self.poller is not None:
            self.poller.start()
        self._started = True
        log.info("Telegram bot started", mode=self.settings.bot_mode)

    async def _set_commands(self) -> None:
        try:
            await set_commands(self.bot)
        except Exception as exc:
            log.warning("setMyCommands failed", error=f"{type(exc).__name__}: {exc}")

    async def health(self) -> dict[str, ComponentHealth]:
        """`bot`: up once started; the webhook registration and the update queue as detail
        (Telegram being unreachable is not a reason to take the API out of service)."""
        detail: dict[str, object] = {"pending_updates": self.processor.pending(),
                                     "processed": self.processor.processed,
                                     "messages_sent": self.sender.stats.sent}
        if self._webhook_task is not None:
            detail["webhook"] = "set" if self._webhook_task.done() else "registering"
        return {"bot": ComponentHealth(status="up" if self._started else "down",
                                       backend=self.settings.bot_mode, latency_ms=0.0,
                                       error=None if self._started else "not started",
                                       detail=detail)}

    async def stop_intake(self) -> None:
        if self._commands_task is not None:
            self._commands_task.cancel()
            await asyncio.gather(self._commands_task, return_exceptions=True)
        if self.poller is not None:
            await self.poller.stop()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            await asyncio.gather(self._webhook_task, return_exceptions=True)

    async def stop(self) -> None:
        """Finish in-flight updates, then the sends in flight (the queue keeps the rest),
        then close the FSM storage and the session."""
        await self.stop_intake()
        await self.processor.stop()
        await self.sender.stop()
        self.domain.payments.attach_gateway(None)
        with contextlib.suppress(Exception):
            await self.storage.close()
        await self.bot.session.close()
        log.info("Telegram bot stopped")
