"""Inline keyboards of the auctions: the open list and the bid buttons of one auction.

A bid button carries a nonce made when it was shown, which becomes the idempotency key:
pressing the same button twice bids once.
"""

from __future__ import annotations

import secrets

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from yabot.bot.texts import t
from yabot.domain.auctions import AuctionView

RAISES = (0, 5, 10)  # bid buttons: the next minimum bid plus these


class AuctionPick(CallbackData, prefix="auc"):
    auction: str


class AuctionBid(CallbackData, prefix="bid"):
    auction: str
    amount: int
    nonce: str


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def auction_list(auctions: list[tuple[AuctionView, str]], lang: str) -> InlineKeyboardMarkup:
    """One button per open auction: (auction, item name)."""
    return InlineKeyboardMarkup(inline_keyboard=[
        [_button(t("auction_list_button", lang, name=name, price=a.next_min_bid),
                 AuctionPick(auction=a.auction_id))] for a, name in auctions])


def bid_keyboard(auction: AuctionView, lang: str) -> InlineKeyboardMarkup:
    amounts = [auction.next_min_bid + r for r in RAISES]
    return InlineKeyboardMarkup(inline_keyboard=[[
        _button(t("auction_btn_bid", lang, amount=amount),
                AuctionBid(auction=auction.auction_id, amount=amount,
                           nonce=secrets.token_hex(6))) for amount in amounts]])
