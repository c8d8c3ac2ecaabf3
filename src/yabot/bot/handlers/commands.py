"""/start, /menu, /historia, /besitos, /vip, /help and the main-menu buttons."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import CallbackQuery, Message

from yabot.bot.handlers.payments import send_vip
from yabot.bot.handlers.story import show_current
from yabot.bot.keyboards import MenuAction, main_menu
from yabot.bot.texts import t
from yabot.domain.events import UserInteraction, UserInteractionPayload
from yabot.domain.views import UserContext
from yabot.services.container import DomainServices
from yabot.services.messaging.update_commit import UpdateEffects

router = Router(name="commands")


@router.message(CommandStart())
async def start(message: Message, services: DomainServices, user_ctx: UserContext, lang: str,
                update_effects: UpdateEffects, new_user: bool = False) -> str:
    update_effects.events.append(UserInteraction(  # commits with the update
        user_id=user_ctx.user_id, payload=UserInteractionPayload(
            action="start", context={"new_user": new_user, "chat_id": message.chat.id})))
    await services.narrative.begin(user_ctx.user_id)  # fragment_started, once per user
    name = user_ctx.profile.first_name or user_ctx.profile.username or ""
    await message.answer(t("welcome", lang, name=name) + "\n\n" + menu_text(lang),
                         reply_markup=main_menu(lang))
    return "ok"


def menu_text(lang: str) -> str:
    """The main menu's question, and the commands its buttons do not show."""
    return t("menu", lang) + "\n" + t("menu_more", lang)


@router.message(Command("menu"))
async def menu(message: Message, lang: str) -> str:
    await message.answer(menu_text(lang), reply_markup=main_menu(lang))
    return "ok"


@router.message(Command("historia", "story"))
async def story(message: Message, services: DomainServices, user_ctx: UserContext,
                lang: str) -> str:
    return await show_current(message, services, user_ctx, lang)


async def send_besitos(message: Message, services: DomainServices, user_id: str,
                       lang: str) -> str:
    wallet = await services.besitos.wallet(user_id, limit=5)
    level = await services.economy.ranking.level(user_id)
    lines = [t("besitos", lang, balance=wallet.balance),
             t("level", lang, level=level.level)
             + (t("level_next", lang, to_next=level.to_next) if level.to_next else "")]
    if wallet.entries:
        lines.append(t("besitos_entries", lang))
        lines += [f"{'+' if e.amount > 0 else ''}{e.amount} · {e.reason} · "
                  f"{e.created_at:%Y-%m-%d %H:%M}" for e in wallet.entries]
    else:
        lines.append(t("besitos_none", lang))
    await message.answer("\n".join(lines), reply_markup=main_menu(lang))
    return "ok"


@router.message(Command("besitos"))
async def besitos(message: Message, services: DomainServices, user_ctx: UserContext,
                  lang: str) -> str:
    return await send_besitos(message, services, user_ctx.user_id, lang)


@router.message(Command("vip"))
async def vip(message: Message, services: DomainServices, user_ctx: UserContext,
              lang: str) -> str:
    return await send_vip(message, services, user_ctx.user_id, lang)


@router.message(Command("help", "ayuda"))
async def help_(message: Message, lang: str) -> str:
    await message.answer(t("help", lang), reply_markup=main_menu(lang))
    return "ok"


@router.callback_query(MenuAction.filter(F.action != "story"))
async def menu_button(query: CallbackQuery, callback_data: MenuAction,
                      services: DomainServices, user_ctx: UserContext, lang: str) -> str:
    await query.answer()
    message = query.message
    if not isinstance(message, Message):
        return "no_message"
    if callback_data.action == "besitos":
        return await send_besitos(message, services, user_ctx.user_id, lang)
    if callback_data.action == "vip":
        return await send_vip(message, services, user_ctx.user_id, lang)
    if callback_data.action == "help":
        await message.answer(t("help", lang), reply_markup=main_menu(lang))
        return "ok"
    await message.answer(menu_text(lang), reply_markup=main_menu(lang))
    return "ok"
