"""The core the commands build: stores, bus and domain services, in start/stop order.

`yabot run` and `yabot chat` add the HTTP server, the bot and the panel on top
(`server.py`); the other commands need only this, so they start without loading aiogram,
FastAPI or uvicorn. Only `yabot migrate` and `yabot run` create or upgrade the schema
(`migrate_stores`); every other command opens existing stores (`open_stores`) and refuses
a missing or older schema. Only the CLI (and `server.py`) import this module.
"""

from __future__ import annotations

from dataclasses import dataclass

from yabot.events.bus import EventBus
from yabot.events.factory import create_event_bus
from yabot.logs import get_logger
from yabot.observability.health import HealthService
from yabot.observability.metrics import Metrics, create_metrics
from yabot.services.admin.operations import OperationsStatus
from yabot.services.container import (
    DomainServices,
    build_services,
    register_activity,
    seed_default_content,
)
from yabot.settings import Settings
from yabot.storage.manager import DatabaseManager, RetryPolicy

log = get_logger(__name__)


@dataclass(kw_only=True)
class Core:
    """Everything built from settings; handed to the API, the bot and the CLI commands."""

    settings: Settings
    stores: DatabaseManager
    bus: EventBus
    health: HealthService
    metrics: Metrics
    domain: DomainServices


async def open_stores(settings: Settings, *, retry: RetryPolicy | None = None,
                      documents: bool = True) -> DatabaseManager:
    """Connect to stores that exist with this code's schema; create and write nothing.

    A missing database or an older schema raises SchemaNotReadyError ("run `yabot
    migrate`") before the document store is contacted; `documents=False` skips it.
    """
    stores = DatabaseManager.from_settings(settings.storage, retry=retry, create=False)
    try:
        await stores.connect_sql()
        await stores.require_schema()
        if documents:
            await stores.connect_documents()
    except BaseException:
        await stores.disconnect_all()
        raise
    return stores


async def migrate_stores(settings: Settings, *, retry: RetryPolicy | None = None,
                         ) -> tuple[DatabaseManager, bool]:
    """Create or upgrade both schemas, then load the demo story when the store has none.

    Returns the connected stores and whether the demo story was loaded."""
    stores = DatabaseManager.from_settings(settings.storage, retry=retry)
    try:
        await stores.connect_all()
        await stores.migrate()
        seeded = await seed_default_content(stores)
    except BaseException:
        await stores.disconnect_all()
        raise
    return stores, seeded


def build_core(settings: Settings, stores: DatabaseManager) -> Core:
    """The bus, the domain services and health over connected stores; nothing runs yet."""
    metrics = create_metrics()
    bus = create_event_bus(stores.sql, settings.redis, settings.events, metrics=metrics)
    register_activity(bus)
    domain = build_services(settings=settings, stores=stores, bus=bus, metrics=metrics)
    health = HealthService()
    health.add_source(stores.health_check)
    health.add_source(bus.health)
    status = OperationsStatus(bus=bus, dead_letters=domain.dead_letters)
    health.add_source(status.health)
    metrics.add_refresher(lambda: status.refresh_gauges(metrics))
    return Core(settings=settings, stores=stores, bus=bus, health=health,
                metrics=metrics, domain=domain)


async def start_core(settings: Settings, *, migrate: bool = True,
                     retry: RetryPolicy | None = None) -> Core:
    """`run` and `chat`: the stores (migrated and seeded; with `migrate=False` opened as
    they are), the core, and the recovery of sagas a dead process left open."""
    if migrate:
        stores, _ = await migrate_stores(settings, retry=retry)
    else:
        stores = await open_stores(settings, retry=retry)
    core = build_core(settings, stores)
    try:
        await core.domain.users.recover()
    except Exception as exc:  # e.g. a store still down: the scheduler retries the pass
        log.error("saga recovery failed at start-up", error=f"{type(exc).__name__}: {exc}")
    return core


async def stop_core(core: Core, *, bus_started: bool = False) -> None:
    """Stop in order: event consumers and relay (drain, flush), then the stores."""
    await core.domain.coordinator.stop()
    if bus_started:
        await core.bus.stop()
    else:  # its client may have connected (a health check); nothing else ran
        await core.bus.transport.close()
    await core.stores.disconnect_all()
    log.info("stores closed")
