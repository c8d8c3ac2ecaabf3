"""The core every command builds: stores, bus and domain services, in start/stop order.

`yabot run` and `yabot chat` add the HTTP server, the bot and the panel on top
(`server.py`); the other commands need only this, so they start without loading aiogram,
FastAPI or uvicorn. Only the CLI (and `server.py`) import it.
"""

from __future__ import annotations

from dataclasses import dataclass

from yabot.events.bus import EventBus
from yabot.events.factory import create_event_bus
from yabot.logs import get_logger
from yabot.observability.health import HealthService
from yabot.observability.metrics import Metrics, create_metrics
from yabot.services.admin.operations import OperationsStatus
from yabot.services.container import DomainServices, build_services
from yabot.services.narrative.content import seed_default_content
from yabot.services.users.activity import register_activity_subscriber
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


async def start_core(settings: Settings, *, migrate: bool = True,
                         retry: RetryPolicy | None = None) -> Core:
    """Connect the stores (with retries), apply migrations and load the demo content."""
    stores = DatabaseManager.from_settings(settings.storage, retry=retry)
    try:
        await stores.connect_all()
        if migrate:
            await stores.migrate()
            await seed_default_content(stores)
    except BaseException:
        await stores.disconnect_all()
        raise
    metrics = create_metrics()
    bus = create_event_bus(stores.sql, settings.redis, settings.events, metrics=metrics)
    register_activity_subscriber(bus)
    domain = build_services(settings=settings, stores=stores, bus=bus, metrics=metrics)
    try:
        await domain.users.recover()  # finish or undo sagas a dead process left open
    except Exception as exc:  # e.g. a store still down: the scheduler retries the pass
        log.error("saga recovery failed at start-up", error=f"{type(exc).__name__}: {exc}")
    health = HealthService()
    health.add_source(stores.health_check)
    health.add_source(bus.health)
    status = OperationsStatus(bus=bus, dead_letters=domain.dead_letters)
    health.add_source(status.health)
    metrics.add_refresher(lambda: status.refresh_gauges(metrics))
    return Core(settings=settings, stores=stores, bus=bus, health=health,
                    metrics=metrics, domain=domain)


async def stop_core(services: Core, *, bus_started: bool = False) -> None:
    """Stop in order: event consumers and relay (drain, flush), then the stores."""
    await services.domain.coordinator.stop()
    if bus_started:
        await services.bus.stop()
    await services.stores.disconnect_all()
    log.info("stores closed")
