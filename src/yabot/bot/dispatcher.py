"""create_bot / create_dispatcher: the aiogram Bot and Dispatcher, built from settings."""

from __future__ import annotations

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage

from yabot.bot.handlers import build_router
from yabot.bot.middlewares import (
    ActivityMiddleware,
    ErrorMiddleware,
    ServicesMiddleware,
    ThrottleConfig,
    ThrottleMiddleware,
    UserContextMiddleware,
)
from yabot.bot.outgoing import CaptureReplies
from yabot.bot.session import RetryPolicy, RetryRequests
from yabot.bot.texts import UserLanguageMiddleware
from yabot.services.container import DomainServices
from yabot.settings import BotSettings

ALLOWED_UPDATES = ["message", "callback_query", "message_reaction", "pre_checkout_query",
                   "chat_join_request", "chat_member", "my_chat_member"]


def bot_properties() -> DefaultBotProperties:
    return DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True)


def create_bot(settings: BotSettings, *, session: BaseSession | None = None,
               token: str | None = None, retry: RetryPolicy | None = None) -> Bot:
    """The Bot on `TELEGRAM_API_URL`, retrying 429/5xx/network errors."""
    if session is None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    session.middleware(CaptureReplies())  # outermost: a captured reply is no API call
    session.middleware(RetryRequests(retry))
    if token is None:
        if settings.bot_token is None:
            raise ValueError("BOT_TOKEN is not set")
        token = settings.bot_token.get_secret_value()
    return Bot(token=token, session=session, default=bot_properties())


def create_dispatcher(services: DomainServices, *, storage: BaseStorage | None = None,
                      throttle: ThrottleConfig | None = None) -> Dispatcher:
    """Handlers and middlewares over the domain services (FSM storage: memory by default)."""
    dp = Dispatcher(storage=storage or MemoryStorage(), name="yabot")
    for middleware in (ErrorMiddleware(), ThrottleMiddleware(throttle),
                       ServicesMiddleware(services), UserContextMiddleware(),
                       UserLanguageMiddleware(), ActivityMiddleware()):
        dp.update.outer_middleware(middleware)
    dp.include_router(build_router())
    return dp
