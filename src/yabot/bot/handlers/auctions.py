"""/subastas (/auctions): the open auctions as buttons, one auction's bid buttons, a bid.
Each update makes at most one writing service call."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from yabot.bot.keyboards_auctions import AuctionBid, AuctionPick, auction_list, bid_keyboard
from yabot.bot.texts import t
from yabot.domain.auctions import AuctionView, BidRejectedError
from yabot.domain.errors import NotFoundError
from yabot.domain.views import UserContext
from yabot.services.container import DomainServices

router = Router(name="auctions")


async def _answer(query: CallbackQuery, text: str) -> str:
    await query.answer()
    if not isinstance(query.message, Message):
        return "no_message"
    await query.message.answer(text)
    return "ok"


def _detail(auction: AuctionView, name: str, user_id: str, balance: int, lang: str) -> str:
    if auction.highest_bid is None:
        highest = t("auction_no_bids", lang, min_bid=auction.min_bid)
    elif auction.highest_bidder == user_id:
        highest = t("auction_yours", lang, amount=auction.highest_bid)
    else:
        highest = str(auction.highest_bid)
    return t("auction_detail", lang, name=name, highest=highest, balance=balance,
             ends=auction.ends_at.strftime("%d/%m %H:%M"))


@router.message(Command("subastas", "auctions"))
async def auctions(message: Message, services: DomainServices, lang: str) -> str:
    open_now = await services.auctions.listing(status="open", limit=20)
    if not open_now:
        await message.answer(t("auction_list_empty", lang))
        return "ok"
    named = [(a, await services.auctions.item_name(a.item_id)) for a in open_now]
    await message.answer(t("auction_list_title", lang), reply_markup=auction_list(named, lang))
    return "ok"


@router.callback_query(AuctionPick.filter())
async def pick(query: CallbackQuery, callback_data: AuctionPick, services: DomainServices,
               user_ctx: UserContext, lang: str) -> str:
    try:
        auction = await services.auctions.get(callback_data.auction)
    except NotFoundError:
        return await _answer(query, t("auction_gone", lang))
    if auction.status != "open":
        return await _answer(query, t("auction_bid_closed", lang))
    await query.answer()
    if not isinstance(query.message, Message):
        return "no_message"
    name = await services.auctions.item_name(auction.item_id)
    balance = await services.besitos.balance(user_ctx.user_id)
    await query.message.answer(_detail(auction, name, user_ctx.user_id, balance, lang),
                               reply_markup=bid_keyboard(auction, lang))
    return "ok"


@router.callback_query(AuctionBid.filter())
async def bid(query: CallbackQuery, callback_data: AuctionBid, services: DomainServices,
              user_ctx: UserContext, lang: str) -> str:
    amount = callback_data.amount
    try:
        result = await services.auctions.bid(callback_data.auction, user_ctx.user_id, amount,
                                             f"tg:{callback_data.nonce}")
    except NotFoundError:
        return await _answer(query, t("auction_gone", lang))
    except BidRejectedError as exc:
        await _answer(query, _refusal(exc, amount, lang))
        return exc.code
    if not result.applied:
        return await _answer(query, t("auction_bid_again", lang))
    name = await services.auctions.item_name(result.auction.item_id)
    return await _answer(query, t("auction_bid_ok", lang, name=name, amount=amount))


def _refusal(exc: BidRejectedError, amount: int, lang: str) -> str:
    if exc.code == "bid_too_low":
        highest = exc.details.get("highest_bid")
        min_bid = exc.details.get("min_bid")
        next_min = highest + 1 if isinstance(highest, int) else min_bid
        return t("auction_bid_too_low", lang, min_bid=next_min)
    if exc.code == "insufficient_funds":
        return t("auction_bid_no_funds", lang, amount=amount)
    return t("auction_bid_closed", lang)
