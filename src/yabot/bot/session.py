"""Bot API requests that survive Telegram trouble: 429 waits `retry_after`, 5xx and network
errors back off exponentially (with jitter) and try again, so a reply is not lost."""

from __future__ import annotations

import asyncio
import random
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import TelegramType

from yabot.logs import get_logger

DIRECT: ContextVar[bool] = ContextVar("yabot_direct_send", default=False)

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import Response

log = get_logger(__name__)
RETRYABLE = (TelegramServerError, TelegramNetworkError, ClientDecodeError)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 300.0

    def backoff(self, attempt: int) -> float:
        delay: float = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return delay * random.uniform(0.5, 1.0)


class RetryRequests(BaseRequestMiddleware):
    """Retry every method but `getUpdates` and the send queue's calls (`DIRECT` set): they
    have their own backoff."""

    def __init__(self, policy: RetryPolicy | None = None) -> None:
        self.policy = policy or RetryPolicy()

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        if isinstance(method, GetUpdates) or DIRECT.get():  # both retry on their own
            return await make_request(bot, method)
        attempt = 1
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt >= self.policy.attempts:
                    raise
                delay = min(float(exc.retry_after), self.policy.max_retry_after)
                log.warning("Telegram asks to wait", method=method.__api_method__,
                            retry_after=exc.retry_after, attempt=attempt)
            except RETRYABLE as exc:
                if attempt >= self.policy.attempts:
                    raise
                delay = self.policy.backoff(attempt)
                log.warning("Telegram request failed; retrying", method=method.__api_method__,
                            error=type(exc).__name__, attempt=attempt,
                            delay=round(delay, 2))
            await asyncio.sleep(delay)
            attempt += 1
