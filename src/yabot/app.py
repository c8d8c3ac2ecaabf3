"""Wires the service together and owns the start/stop order. Only `cli.py` imports this."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from yabot.api.app import create_app
from yabot.logging import get_logger
from yabot.observability.health import HealthService
from yabot.observability.metrics import Metrics, create_metrics
from yabot.services.content import seed_default_content
from yabot.settings import Settings
from yabot.storage.manager import DatabaseManager, RetryPolicy

log = get_logger(__name__)


@dataclass(kw_only=True)
class Services:
    """Everything built from settings; handed to the API, the bot and the CLI commands."""

    settings: Settings
    stores: DatabaseManager
    health: HealthService
    metrics: Metrics


async def start_services(settings: Settings, *, migrate: bool = True,
                         retry: RetryPolicy | None = None) -> Services:
    """Connect the stores (with retries), apply migrations and load the demo content."""
    stores = DatabaseManager.from_settings(settings.storage, retry=retry)
    try:
        await stores.connect_all()
        if migrate:
            await stores.migrate()
            await seed_default_content(stores.documents)
    except BaseException:
        await stores.disconnect_all()
        raise
    health = HealthService()
    health.add_source(stores.health_check)
    return Services(settings=settings, stores=stores, health=health, metrics=create_metrics())


async def stop_services(services: Services) -> None:
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
    try:
        if settings.bot.bot_token is None:
            log.info("BOT_TOKEN is not set: running without the Telegram bot")
        if stop.is_set():
            return 0
        app = create_app(health_service=services.health, metrics=services.metrics)
        config = uvicorn.Config(
            app, host=settings.api.host, port=settings.api.port, log_config=None,
            lifespan="off", access_log=False, server_header=False,
            ssl_certfile=settings.api.tls_certfile, ssl_keyfile=settings.api.tls_keyfile,
            timeout_graceful_shutdown=10)
        server = _Server(config)
        log.info("serving", host=settings.api.host, port=settings.api.port,
                 tls=settings.api.tls_certfile is not None)
        await server.serve()
        if not server.started and not stop.is_set():
            return 1
        return 0
    finally:
        await stop_services(services)
        log.info("stopped")
