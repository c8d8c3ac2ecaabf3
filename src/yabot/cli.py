"""The `yabot` command line. Settings are validated before anything else happens."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from yabot.domain.errors import SchemaError, StoreUnavailableError
from yabot.logging import configure_logging, get_logger
from yabot.settings import ConfigError, Settings, load_settings

EXIT_CONFIG = 2
log = get_logger("yabot.cli")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yabot", description="YABOT service")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the whole service (API, workers, bot)")
    sub.add_parser("migrate", help="apply schema migrations and create collections")
    sub.add_parser("health", help="print component health; exit 0 only when ready")
    return parser


async def _run(settings: Settings, _args: argparse.Namespace) -> int:
    from yabot.app import serve

    return await serve(settings)


async def _migrate(settings: Settings, _args: argparse.Namespace) -> int:
    from yabot.app import start_services, stop_services

    services = await start_services(settings)
    await stop_services(services)
    print("migrations applied; collections, validators and indexes ready")
    return 0


async def _health(settings: Settings, _args: argparse.Namespace) -> int:
    from yabot.app import start_services, stop_services
    from yabot.storage.manager import RetryPolicy

    try:
        services = await start_services(settings, migrate=False,
                                        retry=RetryPolicy(attempts=1))
    except StoreUnavailableError as exc:
        print(json.dumps({"status": "not_ready", "error": str(exc)}, indent=2))
        return 1
    try:
        ready, body = await services.health.check()
    finally:
        await stop_services(services)
    print(json.dumps(body, indent=2))
    return 0 if ready else 1


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "run": _run,
    "migrate": _migrate,
    "health": _health,
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        for variable, problem in exc.problems:
            print(f"invalid configuration: {variable}: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(settings.log, settings.secrets())
    try:
        return asyncio.run(COMMANDS[args.command](settings, args))
    except (StoreUnavailableError, SchemaError) as exc:
        log.error("start-up failed", error=str(exc))
        print(f"yabot: start-up failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
