"""The story: a fragment's text with its choices as buttons; a button runs `process_choice`."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from yabot.bot.keyboards import MenuAction, StoryChoice, fragment_keyboard, vip_gate_keyboard
from yabot.bot.texts import t
from yabot.domain.errors import InvalidChoiceError
from yabot.domain.models import NarrativeFragment
from yabot.domain.views import UserContext
from yabot.services.container import DomainServices

router = Router(name="story")


def fragment_text(fragment: NarrativeFragment, lang: str, hints: list[str] | None = None) -> str:
    text = t("fragment", lang, title=fragment.title, content=fragment.content)
    for hint in hints or []:
        text += "\n\n" + t("hint_unlocked", lang, text=hint)
    if not fragment.choices:
        text += "\n\n" + t("story_end", lang)
    return text


async def send_fragment(message: Message, fragment: NarrativeFragment, lang: str,
                        hints: list[str] | None = None, *, prefix: str | None = None) -> None:
    text = fragment_text(fragment, lang, hints)
    await message.answer(f"{prefix}\n\n{text}" if prefix else text,
                         reply_markup=fragment_keyboard(fragment, lang))


async def show_current(message: Message, services: DomainServices, user_ctx: UserContext,
                       lang: str) -> str:
    fragment = await services.narrative.current(user_ctx.user_id)
    await send_fragment(message, fragment, lang)
    return "ok"


@router.callback_query(MenuAction.filter(F.action == "story"))
async def story_button(query: CallbackQuery, services: DomainServices, user_ctx: UserContext,
                       lang: str) -> str:
    await query.answer()
    if not isinstance(query.message, Message):
        return "no_message"
    return await show_current(query.message, services, user_ctx, lang)


@router.callback_query(StoryChoice.filter())
async def choose(query: CallbackQuery, callback_data: StoryChoice, services: DomainServices,
                 user_ctx: UserContext, lang: str) -> str:
    await query.answer()
    if not isinstance(query.message, Message):
        return "no_message"
    message = query.message
    try:
        outcome = await services.narrative.process_choice(user_ctx.user_id, callback_data.choice)
    except InvalidChoiceError:
        current = await services.narrative.current(user_ctx.user_id)
        await send_fragment(message, current, lang, prefix=t("choice_gone", lang))
        return "invalid_choice"
    if outcome.vip_denied:
        denied = await services.narrative.get_fragment(outcome.denied_fragment_id
                                                       or outcome.fragment.fragment_id)
        await message.answer(t("vip_gate", lang, title=denied.title),
                             reply_markup=vip_gate_keyboard(lang))
        return "vip_denied"
    await send_fragment(message, outcome.fragment, lang, outcome.hints_unlocked)
    return "ok"
