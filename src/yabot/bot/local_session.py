"""A Bot API session that stays in the process: replies are captured instead of sent.

The terminal chat (and tests of pure handler logic) use it; no token, no network.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any, cast

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import AnswerCallbackQuery, EditMessageText, GetMe, SendMessage, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, InlineKeyboardMarkup, Message, User

LOCAL_BOT = User(id=10, is_bot=True, first_name="YABOT", username="yabot_local_bot")


class LocalSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.sent: asyncio.Queue[Message] = asyncio.Queue()
        self.ids = itertools.count(1)
        self.calls: list[str] = []

    def _message(self, chat_id: int | str, text: str, markup: Any,
                 message_id: int | None = None) -> Message:
        keyboard = markup if isinstance(markup, InlineKeyboardMarkup) else None
        return Message(message_id=message_id or next(self.ids), date=datetime.now(UTC),
                       chat=Chat(id=int(chat_id), type="private"), from_user=LOCAL_BOT,
                       text=text, reply_markup=keyboard)

    async def make_request(self, bot: Bot, method: TelegramMethod[TelegramType],
                           timeout: int | None = None) -> TelegramType:
        self.calls.append(method.__api_method__)
        result: Any = True
        if isinstance(method, SendMessage):
            result = self._message(method.chat_id, method.text, method.reply_markup)
            self.sent.put_nowait(result)
        elif isinstance(method, EditMessageText) and method.chat_id is not None:
            result = self._message(method.chat_id, method.text or "", method.reply_markup,
                                   method.message_id)
            self.sent.put_nowait(result)
        elif isinstance(method, AnswerCallbackQuery) and method.text:
            self.sent.put_nowait(self._message(0, method.text, None, 0))
        elif isinstance(method, GetMe):
            result = LOCAL_BOT
        return cast(TelegramType, result)

    async def stream_content(self, url: str, headers: dict[str, Any] | None = None,
                             timeout: int = 30, chunk_size: int = 65536,
                             raise_for_status: bool = True) -> AsyncGenerator[bytes, None]:
        raise NotImplementedError("no files in the local session")
        yield b""  # pragma: no cover

    async def close(self) -> None:
        return None
