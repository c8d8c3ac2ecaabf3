"""/tienda, /inventario, /logros, /misiones, /trivia, /regalo, /ranking (and English
aliases), with their buttons. Each update makes at most one writing service call."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from yabot.bot.keyboards_economy import (
    ShopAction,
    TriviaPick,
    UseItem,
    emoji,
    inventory_keyboard,
    shop_confirm,
    shop_list,
    trivia_keyboard,
)
from yabot.bot.texts import t
from yabot.domain.errors import (
    AlreadyClaimedError,
    InsufficientFundsError,
    ItemUnavailableError,
    NotFoundError,
    VipRequiredError,
)
from yabot.domain.views import UserContext
from yabot.services.container import DomainServices

router = Router(name="economy")


async def _reply(query: CallbackQuery, text: str,
                 markup: InlineKeyboardMarkup | None = None) -> str:
    await query.answer()
    if not isinstance(query.message, Message):
        return "no_message"
    await query.message.answer(text, reply_markup=markup)
    return "ok"


async def send_shop(message: Message, services: DomainServices, user_id: str,
                    lang: str) -> str:
    items = await services.economy.shop.items_for_sale()
    if not items:
        await message.answer(t("shop_empty", lang))
        return "ok"
    balance = await services.besitos.balance(user_id)
    await message.answer(t("shop_title", lang, balance=balance), reply_markup=shop_list(items))
    return "ok"


@router.message(Command("tienda", "shop"))
async def shop(message: Message, services: DomainServices, user_ctx: UserContext,
               lang: str) -> str:
    return await send_shop(message, services, user_ctx.user_id, lang)


@router.callback_query(ShopAction.filter())
async def shop_button(query: CallbackQuery, callback_data: ShopAction,
                      services: DomainServices, user_ctx: UserContext, lang: str) -> str:
    action, user_id = callback_data.action, user_ctx.user_id
    if action == "list":
        await query.answer()
        if not isinstance(query.message, Message):
            return "no_message"
        return await send_shop(query.message, services, user_id, lang)
    if action == "cancel":
        return await _reply(query, t("cancelled", lang))
    try:
        item = await services.economy.shop.item(callback_data.item)
    except NotFoundError:
        return await _reply(query, t("gone", lang))
    if action == "view":
        text = t("shop_item", lang, emoji=emoji(item), name=item.name, price=item.price,
                 description=item.description or "")
        if item.vip_only:
            text += "\n" + t("shop_vip_only", lang)
        text += "\n\n" + t("shop_confirm", lang, name=item.name, price=item.price)
        return await _reply(query, text, shop_confirm(item, lang))
    try:
        result = await services.economy.shop.purchase(user_id, item.item_id,
                                                      f"bot:{callback_data.nonce}")
    except InsufficientFundsError as exc:
        await _reply(query, t("no_funds", lang, balance=exc.balance, price=exc.amount))
        return "insufficient_funds"
    except VipRequiredError:
        await _reply(query, t("vip_item", lang))
        return "vip_denied"
    except ItemUnavailableError:
        return await _reply(query, t("gone", lang))
    text = (t("bought", lang, name=item.name, balance=result.balance) if result.applied
            else t("bought_already", lang, name=item.name, balance=result.balance))
    return await _reply(query, text)


@router.message(Command("inventario", "inventory"))
async def inventory(message: Message, services: DomainServices, user_ctx: UserContext,
                    lang: str) -> str:
    lines = await services.economy.shop.inventory(user_ctx.user_id)
    if not lines:
        await message.answer(t("inventory_empty", lang))
        return "ok"
    text = "\n".join([t("inventory_title", lang), *(
        t("inventory_line", lang, name=line.name, quantity=line.quantity) for line in lines)])
    usable = [(line.item_id, line.name) for line in lines if line.usable]
    await message.answer(text, reply_markup=inventory_keyboard(usable, lang) if usable else None)
    return "ok"


@router.callback_query(UseItem.filter())
async def use_button(query: CallbackQuery, callback_data: UseItem, services: DomainServices,
                     user_ctx: UserContext, lang: str) -> str:
    shop_ = services.economy.shop
    try:
        item = await shop_.item(callback_data.item)
        result = await shop_.use(user_ctx.user_id, item.item_id, f"bot:{callback_data.nonce}")
    except NotFoundError:
        return await _reply(query, t("gone", lang))
    except ItemUnavailableError:
        await _reply(query, t("use_none", lang, name=callback_data.item))
        return "none_left"
    if result.hint_text:
        return await _reply(query, t("used_hint", lang, name=item.name, text=result.hint_text))
    if fragment_id := result.effect.get("unlock_fragment"):
        fragment = await services.narrative.get_fragment(fragment_id)
        return await _reply(query, t("used_fragment", lang, name=item.name,
                                     title=fragment.title))
    return await _reply(query, t("used", lang, name=item.name))


@router.message(Command("logros", "achievements"))
async def achievements(message: Message, services: DomainServices, user_ctx: UserContext,
                       lang: str) -> str:
    lines = await services.economy.achievements.of_user(user_ctx.user_id)
    if not lines:
        await message.answer(t("achievements_none", lang))
        return "ok"
    await message.answer("\n".join([t("achievements_title", lang), *(
        t("achievement_line_on", lang, name=a.name, description=a.description or "")
        if a.unlocked_at else
        t("achievement_line_off", lang, name=a.name, description=a.description or "")
        for a in lines)]))
    return "ok"


@router.message(Command("misiones", "missions"))
async def missions(message: Message, services: DomainServices, user_ctx: UserContext,
                   lang: str) -> str:
    lines = await services.economy.missions.assign_today(user_ctx.user_id)
    if not lines:
        await message.answer(t("missions_none", lang))
        return "ok"
    marks = {"active": "⏳", "completed": "✅", "expired": "⌛"}
    await message.answer("\n".join([t("missions_title", lang), *(
        t("mission_line", lang, mark=marks.get(m.status, "•"), name=m.name,
          progress=m.progress, target=m.target, reward=m.reward) for m in lines)]))
    return "ok"


@router.message(Command("trivia"))
async def trivia(message: Message, services: DomainServices, user_ctx: UserContext,
                 lang: str) -> str:
    question = await services.economy.trivia.next_question(user_ctx.user_id)
    if question is None:
        await message.answer(t("trivia_done", lang))
        return "ok"
    await message.answer(t("trivia_question", lang, question=question.question),
                         reply_markup=trivia_keyboard(question))
    return "ok"


@router.callback_query(TriviaPick.filter())
async def trivia_answer(query: CallbackQuery, callback_data: TriviaPick,
                        services: DomainServices, user_ctx: UserContext, lang: str) -> str:
    trivia_ = services.economy.trivia
    try:
        question = await trivia_.question(callback_data.question)
        result = await trivia_.answer(user_ctx.user_id, question.question_id,
                                      callback_data.option)
    except (NotFoundError, ValueError):
        return await _reply(query, t("gone", lang))
    if not result.applied:
        await _reply(query, t("trivia_again", lang))
        return "already_answered"
    if result.correct:
        return await _reply(query, t("trivia_right", lang, reward=result.reward))
    return await _reply(query, t("trivia_wrong", lang,
                                 answer=question.options[question.answer]))


@router.message(Command("regalo", "gift"))
async def gift(message: Message, services: DomainServices, user_ctx: UserContext,
               lang: str) -> str:
    try:
        result = await services.economy.gift.claim(user_ctx.user_id)
    except AlreadyClaimedError:
        await message.answer(t("gift_claimed", lang))
        return "already_claimed"
    text = t("gift", lang, amount=result.amount, streak=result.streak, balance=result.balance)
    if result.recovered:
        text += "\n" + t("gift_recovered", lang)
    await message.answer(text)
    return "ok"


@router.message(Command("ranking"))
async def ranking(message: Message, services: DomainServices, user_ctx: UserContext,
                  lang: str) -> str:
    entries = await services.economy.ranking.week(limit=10)
    lines = [t("ranking_title", lang)]
    lines += [t("ranking_line", lang, rank=e.rank, name=e.display_name, earned=e.earned)
              for e in entries] or [t("ranking_empty", lang)]
    own = next((e for e in entries if e.user_id == user_ctx.user_id), None)
    own = own or await services.economy.ranking.rank_of(user_ctx.user_id)
    lines.append("")
    lines.append(t("ranking_you", lang, rank=own.rank, earned=own.earned) if own
                 else t("ranking_you_none", lang))
    await message.answer("\n".join(lines))
    return "ok"
