"""`yabot run` and `yabot chat`: the core services plus the HTTP server (API, webhook,
admin panel, health, metrics), the scheduler and the bot, in start/stop order."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from yabot.admin.panel import AdminPanel, build_admin_panel
from yabot.api.app import create_app
from yabot.api.auth import Authenticator, build_authenticator
from yabot.bot.console import ChatSession
from yabot.bot.runtime import BotRuntime
from yabot.core import Core, start_core, stop_core
from yabot.logs import get_logger
from yabot.services.container import build_scheduler, default_jobs
from yabot.settings import Settings

log = get_logger(__name__)


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

    core = await start_core(settings)
    bot = _build_bot(settings, core)  # before bus.start(): its notifier subscribes
    await core.bus.start()
    scheduler = build_scheduler(core.stores.sql, default_jobs(core.domain, core.bus))
    await scheduler.start()  # after the bus: its jobs publish
    core.domain.coordinator.start()
    auth: Authenticator | None = None
    panel: AdminPanel | None = None
    try:
        if stop.is_set():
            return 0
        auth = await build_authenticator(settings)  # loads or generates the JWT keys
        app = create_app(services=core.domain, auth=auth,
                         health_service=core.health, metrics=core.metrics,
                         extra_routers=bot.routers() if bot else ())
        panel = await build_admin_panel(settings=settings, domain=core.domain,
                                        health=core.health)
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
        await stop_core(core, bus_started=True)
        log.info("stopped")


def _build_bot(settings: Settings, core: Core) -> BotRuntime | None:
    if settings.bot.bot_token is None:
        log.info("BOT_TOKEN is not set: running without the Telegram bot")
        return None
    try:
        bot = BotRuntime(settings=settings, domain=core.domain, bus=core.bus,
                         metrics=core.metrics)
    except Exception as exc:  # the rest of the service still runs
        log.error("the Telegram bot could not be built; running without it",
                  error=f"{type(exc).__name__}: {exc}")
        return None
    core.health.add_source(bot.health)
    return bot


async def _start_bot(bot: BotRuntime) -> None:
    try:
        await bot.start()
    except Exception as exc:
        log.error("the Telegram bot failed to start", error=f"{type(exc).__name__}: {exc}")


async def chat(settings: Settings, *, user_id: int) -> int:
    """`yabot chat`: the same services, database and handlers, talking on stdin/stdout.
    Like `yabot run` it is a way to run the bot, so it migrates and seeds as `run` does."""
    core = await start_core(settings)
    session = ChatSession(core.domain, core.bus, settings, user_id=user_id)
    await core.bus.start()
    core.domain.coordinator.start()
    try:
        return await session.run()
    finally:
        await stop_core(core, bus_started=True)
