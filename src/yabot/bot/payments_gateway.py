"""The bot's side of payments: refunds and channel removals through the Bot API, and the
command list (`setMyCommands`) in Spanish and English."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand

from yabot.bot.texts import N_, language_of, t
from yabot.domain.errors import NotFoundError
from yabot.logs import get_logger
from yabot.services.container import DomainServices
from yabot.services.payments.errors import PaymentRefusedError

log = get_logger(__name__)
ALREADY_REFUNDED = "CHARGE_ALREADY_REFUNDED"
REMOVAL_NOTICES = {"expired": N_("removed_expired"), "cancelled": N_("removed_cancelled"),
                   "refunded": N_("removed_refunded"), "reconcile": N_("removed_reconcile")}

# the menu of commands per language: (command, key of its description)
COMMANDS: dict[str, list[tuple[str, str]]] = {
    "es": [("start", N_("cmd_start")), ("menu", N_("cmd_menu")), ("historia", N_("cmd_story")),
           ("besitos", N_("cmd_besitos")), ("tienda", N_("cmd_shop")),
           ("inventario", N_("cmd_inventory")), ("logros", N_("cmd_achievements")),
           ("misiones", N_("cmd_missions")), ("trivia", N_("cmd_trivia")),
           ("subastas", N_("cmd_auctions")), ("regalo", N_("cmd_gift")),
           ("ranking", N_("cmd_ranking")), ("vip", N_("cmd_vip")), ("terms", N_("cmd_terms")),
           ("paysupport", N_("cmd_paysupport")), ("help", N_("cmd_help"))],
    "en": [("start", N_("cmd_start")), ("menu", N_("cmd_menu")), ("story", N_("cmd_story")),
           ("besitos", N_("cmd_besitos")), ("shop", N_("cmd_shop")),
           ("inventory", N_("cmd_inventory")), ("achievements", N_("cmd_achievements")),
           ("missions", N_("cmd_missions")), ("trivia", N_("cmd_trivia")),
           ("auctions", N_("cmd_auctions")), ("gift", N_("cmd_gift")),
           ("ranking", N_("cmd_ranking")), ("vip", N_("cmd_vip")), ("terms", N_("cmd_terms")),
           ("paysupport", N_("cmd_paysupport")), ("help", N_("cmd_help"))],
}


async def set_commands(bot: Bot) -> None:
    """Spanish as the default list, English for users whose Telegram is in English."""
    for lang, commands in COMMANDS.items():
        await bot.set_my_commands([BotCommand(command=c, description=t(key, lang))
                                   for c, key in commands],
                                  language_code=None if lang == "es" else lang)
    log.info("bot commands set", languages=list(COMMANDS))


class BotPaymentsGateway:
    """`TelegramGateway` over an aiogram Bot."""

    def __init__(self, bot: Bot, services: DomainServices) -> None:
        self.bot, self.services = bot, services

    async def refund_star_payment(self, user_id: int, charge_id: str) -> None:
        try:
            await self.bot.refund_star_payment(user_id=user_id,
                                               telegram_payment_charge_id=charge_id)
        except TelegramAPIError as exc:
            if ALREADY_REFUNDED in str(exc):  # refunded by an earlier attempt that then died
                log.info("charge was already refunded", charge_id=charge_id)
                return
            raise PaymentRefusedError(exc.message) from exc

    async def cancel_subscription(self, user_id: int, charge_id: str) -> None:
        await self.bot.edit_user_star_subscription(
            user_id=user_id, telegram_payment_charge_id=charge_id, is_canceled=True)

    async def remove_from_channel(self, chat_id: int, user_id: int) -> None:
        await self.bot.ban_chat_member(chat_id, user_id)
        await self.bot.unban_chat_member(chat_id, user_id, only_if_banned=True)

    async def removal_text(self, user_id: int, reason: str) -> str:
        try:
            ctx = await self.services.users.get_user_context(str(user_id))
            lang = language_of(ctx.preferences.language)
        except NotFoundError:
            lang = "es"
        return t(REMOVAL_NOTICES[reason], lang)
