"""The bot's routers, in matching order: commands and menu, payments, the VIP channel,
story, economy, auctions, reactions, fallback."""

from __future__ import annotations

from aiogram import Router

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


def build_router() -> Router:
    root = Router(name="yabot")
    root.include_routers(commands.router, payments.router, channel.router, story.router,
                         economy.router, auctions.router, reactions.router, fallback.router)
    return root
