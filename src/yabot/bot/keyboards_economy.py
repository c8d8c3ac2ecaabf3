"""Inline keyboards of the economy: the shop, the inventory and trivia answers.

Buy and use buttons carry a nonce made when the button was shown, which becomes the
idempotency key: pressing the same button twice buys or uses once.
"""

from __future__ import annotations

import secrets

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from yabot.bot.texts import t
from yabot.domain.economy import TriviaQuestion
from yabot.domain.models import Item


class ShopAction(CallbackData, prefix="shop"):
    action: str  # view | buy | cancel | list
    item: str = ""
    nonce: str = ""


class UseItem(CallbackData, prefix="use"):
    item: str
    nonce: str


class TriviaPick(CallbackData, prefix="trivia"):
    question: str
    option: int


def nonce() -> str:
    return secrets.token_hex(6)


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def emoji(item: Item) -> str:
    value = item.metadata.get("emoji")
    return value if isinstance(value, str) else "🎁"


def shop_list(items: list[Item]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [_button(f"{emoji(i)} {i.name} · {i.price} 💋",
                 ShopAction(action="view", item=i.item_id))] for i in items])


def shop_confirm(item: Item, lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [_button(t("btn_buy", lang), ShopAction(action="buy", item=item.item_id,
                                                nonce=nonce()))],
        [_button(t("btn_cancel", lang), ShopAction(action="cancel")),
         _button(t("btn_back_shop", lang), ShopAction(action="list"))],
    ])


def inventory_keyboard(usable: list[tuple[str, str]], lang: str) -> InlineKeyboardMarkup:
    """One "use" button per consumable: (item_id, name)."""
    return InlineKeyboardMarkup(inline_keyboard=[
        [_button(t("btn_use", lang, name=name), UseItem(item=item_id, nonce=nonce()))]
        for item_id, name in usable])


def trivia_keyboard(question: TriviaQuestion) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [_button(option, TriviaPick(question=question.question_id, option=i))]
        for i, option in enumerate(question.options)])
