"""build_services: the domain services over the stores and the bus, built from settings."""

from __future__ import annotations

from dataclasses import dataclass

from yabot.events.bus import EventBus
from yabot.observability.metrics import Metrics
from yabot.services.admin.dead_letters import DeadLetterService
from yabot.services.economy.auctions import AuctionService
from yabot.services.economy.service import EconomyService
from yabot.services.economy.stats import EconomyStats
from yabot.services.messaging.broadcasts import BroadcastService
from yabot.services.narrative.item_effects import register_item_effects
from yabot.services.narrative.service import NarrativeService
from yabot.services.payments.channel import ChannelService
from yabot.services.payments.service import PaymentsService
from yabot.services.subscriptions.service import SubscriptionService
from yabot.services.users.service import UserService
from yabot.services.wallet.holds import HoldService
from yabot.services.wallet.service import BesitosService
from yabot.services.workflow.coordinator import CoordinatorService
from yabot.settings import Settings
from yabot.storage.manager import DatabaseManager
from yabot.storage.sql.repositories.auctions import AuctionRepository
from yabot.storage.sql.repositories.channel import SqlChannelRepository
from yabot.storage.sql.repositories.economy_stats import EconomyStatsRepository
from yabot.storage.sql.repositories.ledger_holds import HoldRepository
from yabot.storage.sql.repositories.payments import SqlPaymentsRepository


@dataclass(frozen=True, kw_only=True)
class DomainServices:
    """What the API, the bot and the admin panel call. They never touch a store directly."""

    users: UserService
    subscriptions: SubscriptionService
    besitos: BesitosService
    narrative: NarrativeService
    coordinator: CoordinatorService
    dead_letters: DeadLetterService
    economy: EconomyService
    holds: HoldService
    auctions: AuctionService
    payments: PaymentsService
    channel: ChannelService
    economy_stats: EconomyStats
    broadcasts: BroadcastService


def build_services(*, settings: Settings, stores: DatabaseManager, bus: EventBus,
                   metrics: Metrics | None = None) -> DomainServices:
    """Create the services and register their bus subscribers (before `bus.start()`)."""
    subscriptions = SubscriptionService(stores=stores, bus=bus)
    besitos = BesitosService(stores=stores, bus=bus)
    narrative = NarrativeService(stores=stores, bus=bus, subscriptions=subscriptions,
                                 metrics=metrics)
    coordinator = CoordinatorService(
        stores=stores, bus=bus, besitos=besitos, narrative=narrative,
        subscriptions=subscriptions, reaction_reward=settings.bot.reaction_reward_besitos,
        economy=settings.economy)
    coordinator.register()
    economy = EconomyService(stores=stores, bus=bus, besitos=besitos, settings=settings.economy)
    economy.register()
    register_item_effects(bus)
    holds = HoldService(store=HoldRepository(stores.sql), besitos=besitos)
    payments_store = SqlPaymentsRepository(stores.sql)
    payments = PaymentsService(store=payments_store, bus=bus, subscriptions=subscriptions,
                               settings=settings.payments)
    channel = ChannelService(chat_id=settings.payments.vip_channel_id,
                             channel=SqlChannelRepository(stores.sql), payments=payments_store,
                             bus=bus, subscriptions=subscriptions, payment_service=payments)
    channel.register()
    return DomainServices(
        users=UserService(stores=stores, bus=bus, subscriptions=subscriptions,
                          metrics=metrics),
        subscriptions=subscriptions,
        besitos=besitos, narrative=narrative, coordinator=coordinator,
        dead_letters=DeadLetterService(db=stores.sql), economy=economy, holds=holds,
        auctions=AuctionService(store=AuctionRepository(stores.sql), holds=holds,
                                items=stores.documents.items, bus=bus),
        payments=payments, channel=channel,
        economy_stats=EconomyStats(store=EconomyStatsRepository(stores.sql)),
        broadcasts=BroadcastService(stores.sql))
