"""build_services: the domain services over the stores and the bus, built from settings.

The one place that knows the concrete repositories (`storage/sql/repositories/`): each
service takes the ports it declares in its package's `ports.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from yabot.events.bus import EventBus
from yabot.events.dead_letter_queue import DeadLetterQueue
from yabot.events.outbox import Outbox
from yabot.events.transports.memory import MemoryTransport
from yabot.observability.metrics import Metrics
from yabot.services.admin.accounts import AdminAccountService
from yabot.services.admin.dead_letters import DeadLetterService
from yabot.services.admin.queries import AdminQueries
from yabot.services.economy.auctions import AuctionService
from yabot.services.economy.service import EconomyService
from yabot.services.economy.stats import EconomyStats
from yabot.services.messaging.broadcasts import BroadcastService
from yabot.services.messaging.queue import MessageQueue
from yabot.services.messaging.update_inbox import UpdateRecords
from yabot.services.narrative.item_effects import ItemEffects
from yabot.services.narrative.service import NarrativeService
from yabot.services.payments.channel import ChannelService
from yabot.services.payments.service import PaymentsService
from yabot.services.subscriptions.service import SubscriptionService
from yabot.services.users.activity import ActivitySubscriber
from yabot.services.users.importer import UserImporter
from yabot.services.users.sagas import UserSagas
from yabot.services.users.service import UserService
from yabot.services.wallet.holds import HoldService
from yabot.services.wallet.service import BesitosService
from yabot.services.workflow.coordinator import CoordinatorService
from yabot.services.workflow.scheduler import Job, Scheduler
from yabot.settings import EconomySettings, Settings
from yabot.storage.documents.embedded import EmbeddedDocumentStore
from yabot.storage.manager import DatabaseManager
from yabot.storage.sql.database import Database
from yabot.storage.sql.repositories.admin_accounts import AdminAccountRepository
from yabot.storage.sql.repositories.admin_queries import AdminQueryRepository, DeadLetterRepository
from yabot.storage.sql.repositories.auctions import AuctionRepository
from yabot.storage.sql.repositories.broadcasts import BroadcastRepository
from yabot.storage.sql.repositories.channel import SqlChannelRepository
from yabot.storage.sql.repositories.economy import EconomyRepository
from yabot.storage.sql.repositories.economy_stats import EconomyStatsRepository
from yabot.storage.sql.repositories.ledger_holds import HoldRepository
from yabot.storage.sql.repositories.messaging import MessageRepository
from yabot.storage.sql.repositories.narrative import HintRepository, StoryRepository
from yabot.storage.sql.repositories.payments import SqlPaymentsRepository
from yabot.storage.sql.repositories.shared_documents import SharedDocumentWrites
from yabot.storage.sql.repositories.subscriptions import SubscriptionRepository
from yabot.storage.sql.repositories.updates import UpdateRepository
from yabot.storage.sql.repositories.user_import import LegacyImportRepository
from yabot.storage.sql.repositories.users import UserRepository
from yabot.storage.sql.repositories.wallet import LedgerRepository
from yabot.storage.sql.repositories.workflows import (
    RewardRepository,
    SagaRepository,
    ScheduledJobRepository,
)


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
    updates: UpdateRecords
    messages: MessageQueue
    admin_accounts: AdminAccountService
    admin_queries: AdminQueries


def shared_documents(stores: DatabaseManager) -> SharedDocumentWrites | None:
    """Document writes in the relational transaction: only when the embedded document store
    lives in the relational SQLite database itself (the default)."""
    docs = stores.documents
    if isinstance(docs, EmbeddedDocumentStore) and docs.shares(stores.sql):
        return SharedDocumentWrites()
    return None


def subscription_service(stores: DatabaseManager, bus: EventBus) -> SubscriptionService:
    return SubscriptionService(store=SubscriptionRepository(stores.sql), bus=bus)


def besitos_service(stores: DatabaseManager, bus: EventBus) -> BesitosService:
    return BesitosService(ledger=LedgerRepository(stores.sql), bus=bus)


def narrative_service(stores: DatabaseManager, bus: EventBus,
                      subscriptions: SubscriptionService | None = None,
                      metrics: Metrics | None = None) -> NarrativeService:
    return NarrativeService(
        documents=stores.documents, hints=HintRepository(stores.sql),
        story=StoryRepository(stores.sql), shared=shared_documents(stores), bus=bus,
        subscriptions=subscriptions or subscription_service(stores, bus), metrics=metrics)


def user_service(stores: DatabaseManager, bus: EventBus,
                 subscriptions: SubscriptionService | None = None,
                 metrics: Metrics | None = None) -> UserService:
    store = UserRepository(stores.sql)
    sagas = UserSagas(store=store, documents=stores.documents,
                      workflows=SagaRepository(stores.sql), bus=bus)
    return UserService(store=store, documents=stores.documents, shared=shared_documents(stores),
                       sagas=sagas, bus=bus,
                       subscriptions=subscriptions or subscription_service(stores, bus),
                       metrics=metrics)


def user_importer(domain: DomainServices, stores: DatabaseManager, *,
                  chunk: int | None = None) -> UserImporter:
    """`yabot users import`: in bulk on SQLite (its one writer makes the bulk statements'
    read-then-write safe), row by row through the services on PostgreSQL."""
    bulk = LegacyImportRepository(stores.sql) if stores.sql.is_sqlite else None
    return UserImporter(domain, bulk, chunk=chunk)


def coordinator_service(stores: DatabaseManager, bus: EventBus, *, besitos: BesitosService,
                        narrative: NarrativeService, subscriptions: SubscriptionService,
                        reaction_reward: int,
                        economy: EconomySettings | None = None) -> CoordinatorService:
    return CoordinatorService(rewards=RewardRepository(), documents=stores.documents, bus=bus,
                              besitos=besitos, narrative=narrative, subscriptions=subscriptions,
                              reaction_reward=reaction_reward, economy=economy)


def economy_service(stores: DatabaseManager, bus: EventBus, besitos: BesitosService,
                    settings: EconomySettings) -> EconomyService:
    return EconomyService(store=EconomyRepository(stores.sql), documents=stores.documents,
                          bus=bus, besitos=besitos, settings=settings)


def update_records(db: Database) -> UpdateRecords:
    """The Telegram update inbox, for the bot's intake."""
    return UpdateRecords(UpdateRepository(db), MessageRepository(db))


def admin_account_service(settings: Settings, db: Database) -> AdminAccountService:
    return AdminAccountService(store=AdminAccountRepository(db), session_ttl=timedelta(
        minutes=settings.admin.session_ttl_minutes))


def register_activity(bus: EventBus) -> None:
    """Subscribe the users' activity recorder (before `bus.start()`)."""
    ActivitySubscriber(UserRepository(bus.db)).register(bus)


async def seed_default_content(stores: DatabaseManager) -> bool:
    """Load the demo story when the store has none (`yabot migrate`, before any bus runs:
    a bus that is never started lends its transaction; `run` relays its events later)."""
    bus = EventBus(stores.sql, MemoryTransport(partitions=1))
    return await narrative_service(stores, bus).seed_default_content()


def build_services(*, settings: Settings, stores: DatabaseManager, bus: EventBus,
                   metrics: Metrics | None = None) -> DomainServices:
    """Create the services and register their bus subscribers (before `bus.start()`)."""
    subscriptions = subscription_service(stores, bus)
    besitos = besitos_service(stores, bus)
    narrative = narrative_service(stores, bus, subscriptions, metrics)
    coordinator = coordinator_service(
        stores, bus, besitos=besitos, narrative=narrative, subscriptions=subscriptions,
        reaction_reward=settings.bot.reaction_reward_besitos, economy=settings.economy)
    coordinator.register()
    economy = economy_service(stores, bus, besitos, settings.economy)
    economy.register()
    ItemEffects(hints=narrative.hints, story=narrative.story).register(bus)
    holds = HoldService(store=HoldRepository(stores.sql), besitos=besitos)
    payments_store = SqlPaymentsRepository(stores.sql)
    messages = MessageQueue(MessageRepository(stores.sql))
    payments = PaymentsService(store=payments_store, bus=bus, subscriptions=subscriptions,
                               settings=settings.payments, messages=messages)
    channel = ChannelService(chat_id=settings.payments.vip_channel_id,
                             channel=SqlChannelRepository(stores.sql), payments=payments_store,
                             bus=bus, subscriptions=subscriptions, payment_service=payments,
                             messages=messages)
    channel.register()
    return DomainServices(
        users=user_service(stores, bus, subscriptions, metrics),
        subscriptions=subscriptions,
        besitos=besitos, narrative=narrative, coordinator=coordinator,
        dead_letters=DeadLetterService(queue=DeadLetterQueue(stores.sql),
                                       store=DeadLetterRepository(stores.sql)),
        economy=economy, holds=holds,
        auctions=AuctionService(store=AuctionRepository(stores.sql), holds=holds,
                                items=stores.documents.items, bus=bus),
        payments=payments, channel=channel,
        economy_stats=EconomyStats(store=EconomyStatsRepository(stores.sql)),
        admin_accounts=admin_account_service(settings, stores.sql),
        admin_queries=AdminQueries(store=AdminQueryRepository(stores.sql)),
        broadcasts=BroadcastService(BroadcastRepository(stores.sql)),
        updates=update_records(stores.sql),
        messages=messages)


def default_jobs(domain: DomainServices, bus: EventBus) -> list[Job]:
    """The deployment's jobs: expiry sweep, expiring notices, retention purges, sagas,
    auctions past their end, the day's unfinished missions, the VIP channel."""
    return [
        Job(name="subscriptions.expire_due", interval=60, run=domain.subscriptions.expire_due),
        Job(name="subscriptions.notify_expiring", interval=600,
            run=domain.subscriptions.notify_expiring),
        Job(name="events.purge_event_log", interval=3600, run=bus.purge_event_log),
        Job(name="events.purge_processed_marks", interval=3600,
            run=bus.purge_processed_marks),
        Job(name="users.recover_sagas", interval=300,
            run=lambda: domain.users.recover(min_age=120)),
        Job(name="auctions.close_due", interval=5, run=domain.auctions.close_due),
        Job(name="economy.expire_missions", interval=300,
            run=domain.economy.missions.expire_due),
        Job(name="payments.vip_sweep", interval=domain.payments.settings.vip_sweep_seconds,
            run=domain.channel.sweep),
        Job(name="payments.reconcile_channel", interval=86_400, run=domain.channel.reconcile),
    ]


def build_scheduler(db: Database, jobs: list[Job], *, tick: float = 2.0,
                    lease_ttl: float = 15.0) -> Scheduler:
    """A scheduler over the `scheduled_jobs` table and the relay's lease table (`Outbox`)."""
    return Scheduler(store=ScheduledJobRepository(db), leases=Outbox(db), jobs=jobs,
                     tick=tick, lease_ttl=lease_ttl)
