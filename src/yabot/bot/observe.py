"""Bot API calls in `yabot_bot_api_calls_total{method,status}`: every HTTP attempt, retries
included (registered inside the retrying middleware)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType

from yabot.observability.metrics import Metrics

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import Response


def call_status(exc: BaseException | None) -> str:
    """A small, bounded label set: ok, 429, 5xx, network, or the API's error."""
    if exc is None:
        return "ok"
    if isinstance(exc, TelegramRetryAfter):
        return "429"
    if isinstance(exc, TelegramServerError):
        return "5xx"
    if isinstance(exc, TelegramNetworkError):
        return "network"
    return "4xx" if isinstance(exc, TelegramAPIError) else "error"


class CountBotApiCalls(BaseRequestMiddleware):
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        failure: BaseException | None = None
        try:
            return await make_request(bot, method)
        except BaseException as exc:
            failure = exc
            raise
        finally:
            self.metrics.bot_api_calls.labels(method.__api_method__,
                                              call_status(failure)).inc()
