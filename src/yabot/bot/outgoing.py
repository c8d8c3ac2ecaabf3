"""Replies as queue rows: while the inbox worker handles an update, Bot API calls that send
something (`sendMessage`, `editMessageText`, `answerCallbackQuery`, …) are captured instead
of sent, and commit with the update's done mark; the sender sends them after the commit.

`telegram_send` is the sender's way out: one call, no retries of its own (the queue
retries), with Telegram's answer mapped to an outcome (429, 403 blocked, 4xx, 5xx).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

import aiogram.methods as api
import orjson
from aiogram.client.default import Default
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, Message

from yabot.bot.session import DIRECT
from yabot.domain.views import QueuedMessage
from yabot.services.messaging.queue import encode_params
from yabot.services.messaging.sender import SendFn, SendResult

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import Response

CAPTURED = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup",
                      "answerCallbackQuery", "sendInvoice", "deleteMessage"})
METHODS: dict[str, type[TelegramMethod[Any]]] = {
    c.__api_method__: c for c in vars(api).values()
    if isinstance(c, type) and issubclass(c, TelegramMethod) and hasattr(c, "__api_method__")}


@dataclass
class Capture:
    """The calls captured while one update is handled, and whom they go to by default."""

    chat_id: int | None
    calls: list[tuple[int, str, str]] = field(default_factory=list)  # chat, method, params


CAPTURE: ContextVar[Capture | None] = ContextVar("yabot_capture", default=None)


def _params(method: TelegramMethod[Any]) -> dict[str, Any]:
    return {k: v for k, v in method if v is not None and not isinstance(v, Default)}


class CaptureReplies(BaseRequestMiddleware):
    """Outermost session middleware: inside a capture, queue the call and answer for it."""

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        capture = CAPTURE.get()
        name = method.__api_method__
        if capture is None or name not in CAPTURED:
            return await make_request(bot, method)
        params = _params(method)
        chat = params.get("chat_id", capture.chat_id)
        if not isinstance(chat, int):
            return await make_request(bot, method)  # e.g. a channel @username: send now
        capture.calls.append((chat, name, encode_params(params)))
        result: Any = True
        if method.__returning__ is Message or name.startswith("send"):
            result = Message(message_id=0, date=datetime.now(UTC),
                             chat=Chat(id=chat, type="private"), text=params.get("text"))
        return cast("Response[TelegramType]", result)


def telegram_send(bot: Bot) -> SendFn:
    async def send(row: QueuedMessage) -> SendResult:
        method_type = METHODS.get(row.method)
        if method_type is None:
            return SendResult("failed", error=f"unknown method {row.method}")
        try:
            params = orjson.loads(row.params)
            params.setdefault("chat_id", row.chat_id)  # broadcast rows share one text
            method = method_type.model_validate(params)
        except ValueError as exc:
            return SendResult("failed", error=f"bad parameters: {exc}")
        token = DIRECT.set(True)
        try:
            await bot(method)
        except TelegramRetryAfter as exc:
            return SendResult("retry_after", seconds=float(exc.retry_after))
        except TelegramForbiddenError as exc:
            return SendResult("blocked", error=exc.message)
        except TelegramServerError as exc:
            return SendResult("transient", error=exc.message)
        except (TelegramNetworkError, ClientDecodeError) as exc:
            return SendResult("transient", error=type(exc).__name__, ambiguous=True)
        except Exception as exc:  # 400 and the like: sending it again will not help
            return SendResult("failed", error=f"{type(exc).__name__}: {exc}"[:500])
        finally:
            DIRECT.reset(token)
        return SendResult("sent")

    return send
