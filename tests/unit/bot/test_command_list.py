"""The command list (`setMyCommands`), /help and the main menu name every command the bot
handles, the economy's included, in Spanish and English."""

from __future__ import annotations

from aiogram.filters import Command

from yabot.bot.handlers import (
    auctions,
    channel,
    commands,
    economy,
    fallback,
    payments,
    reactions,
    story,
)
from yabot.bot.handlers.commands import menu_text
from yabot.bot.payments_gateway import COMMANDS
from yabot.bot.texts import t

ECONOMY = {"es": ["tienda", "inventario", "logros", "misiones", "trivia", "subastas", "regalo",
                  "ranking", "vip"],
           "en": ["shop", "inventory", "achievements", "missions", "trivia", "auctions", "gift",
                  "ranking", "vip"]}


def handled_commands() -> set[str]:
    """From the routers themselves (build_router would give them a parent, once only)."""
    found: set[str] = set()
    for module in (auctions, channel, commands, economy, fallback, payments, reactions, story):
        for handler in module.router.message.handlers:
            for flt in handler.filters or ():
                if isinstance(flt.callback, Command):
                    found |= {str(c) for c in flt.callback.commands}
    return found


def test_every_listed_command_is_handled_and_the_economy_is_listed() -> None:
    handled = handled_commands() | {"start"}  # /start is CommandStart
    for lang, listed in COMMANDS.items():
        names = [name for name, _ in listed]
        assert set(names) <= handled, (lang, set(names) - handled)
        assert set(ECONOMY[lang]) <= set(names), lang
        assert {"terms", "paysupport", "help"} <= set(names)
        assert all(t(key, lang) != key for _, key in listed), lang  # translated


def test_help_and_the_menu_mention_the_new_commands() -> None:
    for lang, names in ECONOMY.items():
        for name in names:
            assert f"/{name}" in t("help", lang), (lang, name)
            assert f"/{name}" in menu_text(lang), (lang, name)
