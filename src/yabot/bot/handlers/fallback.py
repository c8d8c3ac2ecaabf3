"""Anything else: an unknown command gets help, other messages a nudge to the menu."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from yabot.bot.keyboards import main_menu
from yabot.bot.texts import t

router = Router(name="fallback")


@router.message(F.text.startswith("/"))
async def unknown_command(message: Message, lang: str) -> str:
    command = (message.text or "/").split()[0]
    await message.answer(t("unknown_command", lang, command=command),
                         reply_markup=main_menu(lang))
    return "unknown_command"


@router.message()
async def anything_else(message: Message, lang: str) -> str:
    await message.answer(t("not_understood", lang), reply_markup=main_menu(lang))
    return "not_understood"


@router.callback_query()
async def stale_button(query: CallbackQuery, lang: str) -> str:
    await query.answer(t("not_understood", lang))
    return "unknown_button"
