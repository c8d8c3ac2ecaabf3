"""Wires the service together and owns the start/stop order. Only `cli.py` imports this."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from yabot.admin.panel import AdminPanel, build_admin_panel
from yabot.api.app import create_app
from yabot.api.auth import Authenticator, build_authenticator
from yabot.bot.console import ChatSession
from yabot.bot.runtime import BotRuntime
from yabot.events.bus import EventBus
from yabot.events.factory import create_event_bus
from yabot.logging import get_logger
from yabot.observability.health import HealthService
from yabot.observability.metrics import Metrics, create_metrics
from yabot.services.activity import register_activity_subscriber
from yabot.services.container import DomainServices, build_services
from yabot.services.content import seed_default_content
from yabot.services.operations import OperationsStatus
from yabot.services.scheduler import build_scheduler
from yabot.settings import Settings
from yabot.storage.manager import DatabaseManager, RetryPolicy

log = get_logger(__name__)


@dataclass(kw_only=True)
class Services:
    """Everything built from settings; handed to the API, the bot and the CLI commands."""

    settings: Settings
    stores: DatabaseManager
    bus: EventBus
    health: HealthService
    metrics: Metrics
    domain: DomainServices


async def start_services(settings: Settings, *, migrate: bool = True,
                         retry: RetryPolicy | None = None) -> Services:
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
    bus = create_event_bus(stores.sql, settings.redis, settings.events)
    register_activity_subscriber(bus)
    metrics = create_metrics()
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
    return Services(settings=settings, stores=stores, bus=bus, health=health,
                    metrics=metrics, domain=domain)


async def stop_services(services: Services, *, bus_started: bool = False) -> None:
    """Stop in order: event consumers and relay (drain, flush), then the stores."""
    await services.domain.coordinator.stop()
    if bus_started:
        await services.bus.stop()
    await services.stores.disconnect_all()
    log.info("stores closed")


class _Server(uvicorn.Server):
    """uvicorn without its own signal capture: the runner decides when to stop."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(settings: Settings) -> int:
    """`yabot run`: start everything, serve HTTP until SIGTERM/SIGINT, stop in order."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    server: _Server | None = None

    def _request_stop(sig: signal.Signals) -> None:
        log.info("stop requested", signal=sig.name)
        stop.set()
        if server is not None:
            server.should_exit = True

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, _request_stop, sig)

    services = await start_services(settings)
    bot = _build_bot(settings, services)  # before bus.start(): its notifier subscribes
    await services.bus.start()
    scheduler = build_scheduler(services.stores.sql, services.domain, services.bus)
    await scheduler.start()  # after the bus: its jobs publish
    services.domain.coordinator.start()
    auth: Authenticator | None = None
    panel: AdminPanel | None = None
    try:
        if stop.is_set():
            return 0
        auth = await build_authenticator(settings)  # loads or generates the JWT keys
        app = create_app(services=services.domain, auth=auth,
                         health_service=services.health, metrics=services.metrics,
                         extra_routers=bot.routers() if bot else ())
        panel = await build_admin_panel(settings=settings, domain=services.domain,
                                        db=services.stores.sql, health=services.health)
        app.mount("/admin", panel.app)
        config = uvicorn.Config(
            app, host=settings.api.host, port=settings.api.port, log_config=None,
            lifespan="off", access_log=False, server_header=False,
            ssl_certfile=settings.api.tls_certfile, ssl_keyfile=settings.api.tls_keyfile,
            timeout_graceful_shutdown=10)
        server = _Server(config)
        log.info("serving", host=settings.api.host, port=settings.api.port,
                 tls=settings.api.tls_certfile is not None)
        serving = asyncio.create_task(server.serve())
        while bot is not None and not server.started and not serving.done():  # noqa: ASYNC110
            await asyncio.sleep(0.02)  # uvicorn offers no start-up event to wait on
        if bot is not None and server.started:
            await _start_bot(bot)  # last: the API (and webhook route) is up
        await serving
        if not server.started and not stop.is_set():
            return 1
        return 0
    finally:
        if bot is not None:  # intake has stopped with the server: finish in-flight updates
            await bot.stop()
        if auth is not None:
            await auth.aclose()
        if panel is not None:
            await panel.aclose()
        await scheduler.stop()  # before the bus stops
        await stop_services(services, bus_started=True)
        log.info("stopped")


def _build_bot(settings: Settings, services: Services) -> BotRuntime | None:
    if settings.bot.bot_token is None:
        log.info("BOT_TOKEN is not set: running without the Telegram bot")
        return None
    try:
        return BotRuntime(settings=settings, domain=services.domain, bus=services.bus,
                          db=services.stores.sql)
    except Exception as exc:  # the rest of the service still runs
        log.error("the Telegram bot could not be built; running without it",
                  error=f"{type(exc).__name__}: {exc}")
        return None


async def _start_bot(bot: BotRuntime) -> None:
    try:
        await bot.start()
    except Exception as exc:
        log.error("the Telegram bot failed to start", error=f"{type(exc).__name__}: {exc}")


async def chat(settings: Settings, *, user_id: int) -> int:
    """`yabot chat`: the same services, database and handlers, talking on stdin/stdout."""
    services = await start_services(settings)
    session = ChatSession(services.domain, services.bus, settings, user_id=user_id)
    await services.bus.start()
    services.domain.coordinator.start()
    try:
        return await session.run()
    finally:
        await stop_services(services, bus_started=True)
