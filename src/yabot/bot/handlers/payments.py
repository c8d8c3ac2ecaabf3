"""Buying VIP with Stars: the offer (/vip, the VIP button), pre-checkout, the payment,
and Telegram's rules for digital goods (/terms, /paysupport)."""

from __future__ import annotations

from datetime import timedelta

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LabeledPrice,
    Message,
    PreCheckoutQuery,
)

from yabot.bot.payment_texts import pt
from yabot.domain.clock import utcnow
from yabot.domain.payments import CURRENCY, SUBSCRIPTION_PERIOD
from yabot.domain.views import UserContext
from yabot.services.container import DomainServices

router = Router(name="payments")
INVITE_TTL = timedelta(days=1)


class PaySupport(StatesGroup):
    waiting = State()


def _link_button(text: str, url: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=text, url=url)]])


async def send_invite(bot: Bot, services: DomainServices, user_id: str, lang: str) -> bool:
    """A one-person invite link to the VIP channel (when there is a channel)."""
    chat_id = services.channel.chat_id
    if chat_id is None:
        return False
    link = await bot.create_chat_invite_link(
        chat_id, name=f"vip-{user_id}"[:32], member_limit=1,
        expire_date=utcnow() + INVITE_TTL)
    await bot.send_message(int(user_id), pt("channel_invite", lang),
                           reply_markup=_link_button(pt("btn_join", lang), link.invite_link))
    return True


async def send_vip(message: Message, services: DomainServices, user_id: str, lang: str) -> str:
    """The plan and its price with a pay button; an active VIP sees their plan instead."""
    sub = await services.subscriptions.get(user_id)
    bot = message.bot
    assert bot is not None
    if sub.is_vip:
        await message.answer(pt("vip_until", lang, end=f"{sub.end_date:%Y-%m-%d}")
                             if sub.end_date else pt("vip_open", lang))
        await send_invite(bot, services, user_id, lang)
        return "vip_active"
    offer = await services.payments.create_offer(user_id)
    link = await bot.create_invoice_link(
        title=pt("invoice_title", lang), description=pt("invoice_description", lang),
        payload=offer.payload, currency=CURRENCY,
        prices=[LabeledPrice(label=pt("invoice_title", lang), amount=offer.amount)],
        subscription_period=SUBSCRIPTION_PERIOD)
    channel = pt("vip_offer_channel", lang) if services.channel.enabled else ""
    await message.answer(
        pt("vip_offer", lang, price=offer.amount, plan=sub.plan_type, status=sub.status,
           channel=channel),
        reply_markup=_link_button(pt("btn_pay", lang, price=offer.amount), link))
    return "offered"


@router.pre_checkout_query()
async def pre_checkout(query: PreCheckoutQuery, services: DomainServices, lang: str) -> str:
    problem = await services.payments.check_pre_checkout(
        str(query.from_user.id), query.invoice_payload, query.currency, query.total_amount)
    if problem is None:
        await query.answer(ok=True)
        return "ok"
    await query.answer(ok=False, error_message=pt(f"precheckout_{problem}", lang))
    return problem


@router.message(F.successful_payment)
async def successful_payment(message: Message, services: DomainServices,
                             user_ctx: UserContext, lang: str) -> str:
    paid = message.successful_payment
    assert paid is not None
    assert message.bot is not None
    outcome = await services.payments.record_payment(
        user_id=user_ctx.user_id, charge_id=paid.telegram_payment_charge_id,
        payload=paid.invoice_payload, amount=paid.total_amount, currency=paid.currency,
        is_recurring=bool(paid.is_recurring))
    if not await services.payments.claim_confirmation(paid.telegram_payment_charge_id):
        return "duplicate"
    end = outcome.payment.plan_end
    key = "payment_thanks" if outcome.started else "payment_renewed"
    await message.answer(pt(key, lang, amount=paid.total_amount,
                            end=f"{end:%Y-%m-%d}" if end else "—"))
    if outcome.started:
        await send_invite(message.bot, services, user_ctx.user_id, lang)
    return "paid" if outcome.new else "redelivered"


@router.message(Command("terms", "terminos"))
async def terms(message: Message, services: DomainServices, lang: str) -> str:
    await message.answer(pt("terms", lang, price=services.payments.price))
    return "ok"


@router.message(Command("paysupport", "soporte"))
async def paysupport(message: Message, state: FSMContext, lang: str) -> str:
    await state.set_state(PaySupport.waiting)
    await message.answer(pt("paysupport_ask", lang))
    return "ok"


@router.message(StateFilter(PaySupport.waiting), ~F.text.startswith("/"))
async def support_message(message: Message, state: FSMContext, services: DomainServices,
                          user_ctx: UserContext, lang: str) -> str:
    if not message.text:
        await message.answer(pt("paysupport_text_only", lang))
        return "invalid"
    number = await services.payments.open_support_request(user_ctx.user_id, message.text)
    await state.clear()
    await message.answer(pt("paysupport_done", lang, number=number))
    return "ok"
