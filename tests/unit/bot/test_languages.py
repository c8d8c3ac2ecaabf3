"""Through the real dispatcher: a Spanish user and an English user get their own texts
(replies and buttons), and `t(key)` inside a handler speaks the user's language."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher
from aiogram.filters import Command
from aiogram.types import Message, Update

from yabot.bot.dispatcher import create_bot, create_dispatcher
from yabot.bot.local_session import LocalSession
from yabot.bot.texts import t
from yabot.core import Core, start_core, stop_core
from yabot.settings import BotSettings, Settings, StorageSettings

ES_USER, EN_USER = 301, 302


@dataclass
class Chat:
    core: Core
    dp: Dispatcher
    bot: Bot
    session: LocalSession
    next_id: int = 1

    async def send(self, user: int, text: str) -> list[Message]:
        """Feed a message from `user`; the replies the bot sent."""
        self.next_id += 1
        update = Update.model_validate({"update_id": self.next_id, "message": {
            "message_id": self.next_id, "date": 0, "chat": {"id": user, "type": "private"},
            "from": {"id": user, "is_bot": False, "first_name": "Ana",
                     "language_code": "en"}, "text": text}}, context={"bot": self.bot})
        await self.dp.feed_update(self.bot, update)
        replies = []
        while not self.session.sent.empty():
            replies.append(self.session.sent.get_nowait())
        return replies


async def answer_in_context(message: Message) -> str:
    await message.answer(t("menu"))  # no language given: the user's, set by the middleware
    return "ok"


def buttons(message: Message) -> list[str]:
    markup = message.reply_markup
    return [b.text for row in markup.inline_keyboard for b in row] if markup else []


@pytest.fixture
async def chat(tmp_path: Path) -> AsyncIterator[Chat]:
    core = await start_core(Settings.of(storage=StorageSettings(
        sqlite_database_path=tmp_path / "y.db")))
    dp = create_dispatcher(core.domain)
    dp.message.register(answer_in_context, Command("probe"))  # before the routers' fallback
    session = LocalSession()
    try:
        yield Chat(core, dp, create_bot(BotSettings(), session=session, token="1:test"),
                   session)
    finally:
        await stop_core(core)


async def test_spanish_by_default_english_by_preference(chat: Chat) -> None:
    for user in (ES_USER, EN_USER):
        await chat.send(user, "/start")  # registers them (language_code "en" for both)
    await chat.core.domain.users.update_preferences(str(EN_USER), {"language": "en"})

    [es_menu] = await chat.send(ES_USER, "/menu")
    [en_menu] = await chat.send(EN_USER, "/menu")
    assert (es_menu.text or "").startswith("¿Qué quieres hacer?\nTambién: /tienda")
    assert buttons(es_menu) == ["📖 Historia", "💋 Besitos", "⭐ VIP", "❓ Ayuda"]
    assert (en_menu.text or "").startswith("What would you like to do?\nAlso: /shop")
    assert buttons(en_menu) == ["📖 Story", "💋 Besitos", "⭐ VIP", "❓ Help"]

    [es_unknown] = await chat.send(ES_USER, "/nada")
    [en_unknown] = await chat.send(EN_USER, "/nothing")
    assert es_unknown.text == "No conozco el comando /nada. Prueba /help."
    assert en_unknown.text == "I don't know the command /nothing. Try /help."

    assert [m.text for m in await chat.send(ES_USER, "/probe")] == ["¿Qué quieres hacer?"]
    assert [m.text for m in await chat.send(EN_USER, "/probe")] == ["What would you like to do?"]
