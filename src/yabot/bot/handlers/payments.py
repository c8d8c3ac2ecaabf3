"""Buying VIP with Stars: the offer (/vip, the VIP button), pre-checkout, the payment,
and Telegram's rules for digital goods (/terms, /paysupport)."""

from __future__ import annotations

from datetime import timedelta

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
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

from yabot.bot.texts import N_, t
from yabot.domain.clock import utcnow
from yabot.domain.payments import CURRENCY, SUBSCRIPTION_PERIOD
from yabot.domain.views import UserContext
from yabot.logs import get_logger
from yabot.services.container import DomainServices
from yabot.services.payments.service import Notice, PaymentOutcome

router = Router(name="payments")
log = get_logger(__name__)
INVITE_TTL = timedelta(days=1)


class PaySupport(StatesGroup):
    waiting = State()


def _link_button(text: str, url: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=text, url=url)]])


async def invite_link(bot: Bot, services: DomainServices, user_id: str) -> str | None:
    """A one-person invite link to the VIP channel (None when there is no channel)."""
    chat_id = services.channel.chat_id
    if chat_id is None:
        return None
    link = await bot.create_chat_invite_link(
        chat_id, name=f"vip-{user_id}"[:32], member_limit=1,
        expire_date=utcnow() + INVITE_TTL)
    return link.invite_link


def invite_notice(link: str, lang: str) -> Notice:
    return Notice(t("channel_invite", lang), _link_button(t("btn_join", lang), link))


async def send_invite(bot: Bot, services: DomainServices, user_id: str, lang: str) -> bool:
    link = await invite_link(bot, services, user_id)
    if link is None:
        return False
    notice = invite_notice(link, lang)
    await bot.send_message(int(user_id), notice.text, reply_markup=notice.reply_markup)
    return True


async def send_vip(message: Message, services: DomainServices, user_id: str, lang: str) -> str:
    """The plan and its price with a pay button; an active VIP sees their plan instead."""
    sub = await services.subscriptions.get(user_id)
    bot = message.bot
    assert bot is not None
    if sub.is_vip:
        await message.answer(t("vip_until", lang, end=sub.end_date.strftime("%Y-%m-%d"))
                             if sub.end_date else t("vip_open", lang))
        await send_invite(bot, services, user_id, lang)
        return "vip_active"
    offer = services.payments.draft_offer(user_id)  # Telegram first: no write held open
    link = await bot.create_invoice_link(
        title=t("invoice_title", lang), description=t("invoice_description", lang),
        payload=offer.payload, currency=CURRENCY,
        prices=[LabeledPrice(label=t("invoice_title", lang), amount=offer.amount)],
        subscription_period=SUBSCRIPTION_PERIOD)
    await services.payments.save_offer(offer)  # committed with the reply that carries it
    channel = t("vip_offer_channel", lang) if services.channel.enabled else ""
    await message.answer(
        t("vip_offer", lang, price=offer.amount, plan=sub.plan_type, status=sub.status,
           channel=channel),
        reply_markup=_link_button(t("btn_pay", lang, price=offer.amount), link))
    return "offered"


PRECHECKOUT_REFUSALS = {"unknown_offer": N_("precheckout_unknown_offer"),
                        "price_mismatch": N_("precheckout_price_mismatch"),
                        "stale_offer": N_("precheckout_stale_offer")}


@router.pre_checkout_query()
async def pre_checkout(query: PreCheckoutQuery, services: DomainServices, lang: str) -> str:
    problem = await services.payments.check_pre_checkout(
        str(query.from_user.id), query.invoice_payload, query.currency, query.total_amount)
    if problem is None:
        await query.answer(ok=True)
        return "ok"
    await query.answer(ok=False, error_message=t(PRECHECKOUT_REFUSALS[problem], lang))
    return problem


@router.message(F.successful_payment)
async def successful_payment(message: Message, services: DomainServices,
                             user_ctx: UserContext, lang: str) -> str:
    """Record and grant once per charge; the thanks (and, for a new plan, the channel
    invite) are queued in the grant's commit, so a crash or redelivery never loses nor
    repeats them. The invite link is made first (an unused link expires harmlessly)."""
    paid = message.successful_payment
    assert paid is not None
    assert message.bot is not None
    link = None
    if not await services.subscriptions.is_vip(user_ctx.user_id):  # likely a new plan
        try:  # never let the channel stand between a payment and its grant
            link = await invite_link(message.bot, services, user_ctx.user_id)
        except TelegramAPIError as exc:
            log.warning("no invite link for a new VIP (they can ask /vip later)",
                        user_id=user_ctx.user_id, error=exc.message)

    def confirm(outcome: PaymentOutcome) -> list[Notice]:
        end = outcome.payment.plan_end
        shown = end.strftime("%Y-%m-%d") if end else "—"
        notices = [Notice(t("payment_thanks", lang, amount=paid.total_amount, end=shown)
                          if outcome.started else
                          t("payment_renewed", lang, amount=paid.total_amount, end=shown))]
        if outcome.started and link is not None:
            notices.append(invite_notice(link, lang))
        return notices

    outcome = await services.payments.record_payment(
        user_id=user_ctx.user_id, charge_id=paid.telegram_payment_charge_id,
        payload=paid.invoice_payload, amount=paid.total_amount, currency=paid.currency,
        is_recurring=bool(paid.is_recurring), confirm=confirm)
    return "paid" if outcome.new else "redelivered"


@router.message(Command("terms", "terminos"))
async def terms(message: Message, services: DomainServices, lang: str) -> str:
    await message.answer(t("terms", lang, price=services.payments.price))
    return "ok"


@router.message(Command("paysupport", "soporte"))
async def paysupport(message: Message, state: FSMContext, lang: str) -> str:
    await state.set_state(PaySupport.waiting)
    await message.answer(t("paysupport_ask", lang))
    return "ok"


@router.message(StateFilter(PaySupport.waiting), ~F.text.startswith("/"))
async def support_message(message: Message, state: FSMContext, services: DomainServices,
                          user_ctx: UserContext, lang: str) -> str:
    if not message.text:
        await message.answer(t("paysupport_text_only", lang))
        return "invalid"
    number = await services.payments.open_support_request(user_ctx.user_id, message.text)
    await state.clear()
    await message.answer(t("paysupport_done", lang, number=number))
    return "ok"
