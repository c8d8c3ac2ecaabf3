"""Tell bidders what happened to their bids: outbid (their hold released), won, lost.

A bus subscriber (group `bot-auction-notify`) queues the notice on the durable send queue
(`domain.messages.enqueue`) in the transaction that marks the event processed, keyed by
the event id, so a redelivered event queues nothing new. The terminal chat attaches its
in-process bot instead: notices go straight to it.
"""

from __future__ import annotations

from aiogram import Bot

from yabot.bot.texts import language_of, t
from yabot.domain.events import AuctionLost, AuctionOutbid, AuctionWon, BaseEvent
from yabot.events.bus import EventBus
from yabot.events.handler_context import HandlerContext
from yabot.services.container import DomainServices

GROUP = "bot-auction-notify"
TYPES = ("auction_outbid", "auction_won", "auction_lost")


class AuctionNotifier:
    def __init__(self, services: DomainServices, *, group: str = GROUP,
                 only_user: str | None = None) -> None:
        self.services, self.group, self.only_user = services, group, only_user
        self.bot: Bot | None = None  # set by the terminal chat only

    def register(self, bus: EventBus) -> None:
        """Subscribe (before `bus.start()`)."""
        for event_type in TYPES:
            bus.add_subscriber(event_type, self._on_event, group=self.group)

    def attach(self, bot: Bot) -> None:
        """Send notices straight to `bot` (the chat's in-process session), not the queue."""
        self.bot = bot

    async def detach(self, timeout: float = 0.0) -> None:
        self.bot = None

    async def _on_event(self, event: BaseEvent, ctx: HandlerContext) -> None:
        if event.user_id is None or (self.only_user is not None
                                     and event.user_id != self.only_user):
            return
        text = await self.text_for(event)
        if text is None:
            return
        if self.bot is not None:
            await self.bot.send_message(int(event.user_id), text)
        else:
            await self.services.messages.enqueue(
                ctx, chat_id=int(event.user_id), text=text, kind="notice",
                dedupe_key=f"notice:{event.event_id}")

    async def text_for(self, event: BaseEvent) -> str | None:
        assert event.user_id is not None
        user = await self.services.users.get_user_context(event.user_id)
        lang = language_of(user.preferences.language)
        if isinstance(event, AuctionOutbid):
            name = await self.services.auctions.item_name(event.payload.item_id)
            return t("auction_notice_outbid", lang, name=name, highest=event.payload.highest_bid,
                     own=event.payload.own_bid)
        if isinstance(event, AuctionWon):
            name = await self.services.auctions.item_name(event.payload.item_id)
            return t("auction_notice_won", lang, name=name, amount=event.payload.amount)
        if isinstance(event, AuctionLost):
            name = await self.services.auctions.item_name(event.payload.item_id)
            return t("auction_notice_lost", lang, name=name, winning=event.payload.winning_bid)
        return None
