"""build_services: the domain services over the stores and the bus, built from settings."""

from __future__ import annotations

from dataclasses import dataclass

from yabot.events.bus import EventBus
from yabot.observability.metrics import Metrics
from yabot.services.admin.dead_letters import DeadLetterService
from yabot.services.economy.auctions import AuctionService
from yabot.services.economy.service import EconomyService
from yabot.services.narrative.item_effects import register_item_effects
from yabot.services.narrative.service import NarrativeService
from yabot.services.subscriptions.service import SubscriptionService
from yabot.services.users.service import UserService
from yabot.services.wallet.holds import HoldService
from yabot.services.wallet.service import BesitosService
from yabot.services.workflow.coordinator import CoordinatorService
from yabot.settings import Settings
from yabot.storage.manager import DatabaseManager
from yabot.storage.sql.repositories.auctions import AuctionRepository
from yabot.storage.sql.repositories.ledger_holds import HoldRepository


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
    return DomainServices(
        users=UserService(stores=stores, bus=bus, subscriptions=subscriptions,
                          metrics=metrics),
        subscriptions=subscriptions,
        besitos=besitos, narrative=narrative, coordinator=coordinator,
        dead_letters=DeadLetterService(db=stores.sql), economy=economy, holds=holds,
        auctions=AuctionService(store=AuctionRepository(stores.sql), holds=holds,
                                items=stores.documents.items, bus=bus))
