"""Inline keyboards and their callback data: the main menu and a fragment's choices."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from yabot.bot.texts import t
from yabot.domain.models import NarrativeFragment


class MenuAction(CallbackData, prefix="menu"):
    action: str  # story | besitos | vip | help | menu


class StoryChoice(CallbackData, prefix="story"):
    fragment: str
    choice: str


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def main_menu(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [_button(t("btn_story", lang), MenuAction(action="story"))],
        [_button(t("btn_besitos", lang), MenuAction(action="besitos")),
         _button(t("btn_vip", lang), MenuAction(action="vip"))],
        [_button(t("btn_help", lang), MenuAction(action="help"))],
    ])


def fragment_keyboard(fragment: NarrativeFragment, lang: str) -> InlineKeyboardMarkup:
    rows = [[_button(c.text, StoryChoice(fragment=fragment.fragment_id, choice=c.id))]
            for c in fragment.choices]
    rows.append([_button(t("btn_menu", lang), MenuAction(action="menu"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def vip_gate_keyboard(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [_button(t("btn_vip", lang), MenuAction(action="vip"))],
        [_button(t("btn_back_story", lang), MenuAction(action="story"))],
    ])
