"""The `yabot` command line. Settings are validated before anything else happens."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from yabot.cli_admin import add_admin_parser, admin_command
from yabot.cli_events import add_events_parser, events_command
from yabot.cli_users import add_users_parser, users_command
from yabot.domain.errors import SchemaError, SchemaNotReadyError, StoreUnavailableError
from yabot.logs import configure_logging, get_logger
from yabot.settings import ConfigError, Settings, load_settings

EXIT_CONFIG = 2
log = get_logger("yabot.cli")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yabot", description="YABOT service")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the whole service (API, workers, bot)")
    sub.add_parser("migrate", help="apply schema migrations and create collections")
    chat = sub.add_parser("chat", help="talk to the bot in the terminal (no Telegram needed)")
    chat.add_argument("--user-id", type=int, default=1, metavar="N",
                      help="the Telegram user id to chat as (default 1)")
    sub.add_parser("health", help="print component health; exit 0 only when ready")
    content = sub.add_parser("content", help="narrative content packs")
    content_load = content.add_subparsers(dest="content_command", required=True).add_parser(
        "load", help="validate and load a content pack (YAML or JSON), all or nothing")
    content_load.add_argument("path", metavar="PATH")
    token = sub.add_parser("token", help="JWTs for internal services")
    token_create = token.add_subparsers(dest="token_command", required=True).add_parser(
        "create", help="print a signed JWT for an internal service")
    token_create.add_argument("--service", required=True, metavar="NAME",
                              help="the calling service (the token's sub)")
    token_create.add_argument("--scope", action="append", metavar="SCOPE",
                              help="a scope to grant (repeatable); default: read write")
    token_create.add_argument("--ttl-minutes", type=int, default=60, metavar="N",
                              help="lifetime in minutes (1-525600, default 60)")
    add_events_parser(sub)
    add_users_parser(sub)
    add_admin_parser(sub)
    return parser


async def _run(settings: Settings, _args: argparse.Namespace) -> int:
    from yabot.server import serve

    return await serve(settings)


async def _chat(settings: Settings, args: argparse.Namespace) -> int:
    from yabot.server import chat

    if args.user_id <= 0:
        print("--user-id must be a positive integer", file=sys.stderr)
        return EXIT_CONFIG
    return await chat(settings, user_id=args.user_id)


async def _migrate(settings: Settings, _args: argparse.Namespace) -> int:
    from yabot.core import migrate_stores

    stores, seeded = await migrate_stores(settings)
    await stores.disconnect_all()
    print("migrations applied; collections, validators and indexes ready")
    if seeded:
        print("the store had no story: the demo story is loaded")
    return 0


async def _health(settings: Settings, _args: argparse.Namespace) -> int:
    """Read-only: one connection attempt per store, no migration, nothing written."""
    from yabot.core import build_core, open_stores, stop_core
    from yabot.storage.manager import RetryPolicy

    try:
        stores = await open_stores(settings, retry=RetryPolicy(attempts=1))
    except StoreUnavailableError as exc:
        print(json.dumps({"status": "not_ready", "error": str(exc)}, indent=2))
        return 1
    core = build_core(settings, stores)
    try:
        ready, body = await core.health.check()
    finally:
        await stop_core(core)
    print(json.dumps(body, indent=2))
    return 0 if ready else 1


async def _content(settings: Settings, args: argparse.Namespace) -> int:
    from yabot.core import build_core, open_stores, stop_core
    from yabot.domain.errors import ContentError

    core = build_core(settings, await open_stores(settings))
    try:
        fragments, items = await core.domain.narrative.load_pack_file(args.path)
    except ContentError as exc:
        for problem in exc.problems:
            print(f"content error: {problem}", file=sys.stderr)
        print(f"{len(exc.problems)} problem(s); nothing was loaded", file=sys.stderr)
        return 1
    finally:
        await stop_core(core)
    print(f"loaded {fragments} fragment(s) and {items} item(s) from {args.path}")
    return 0


async def _token(settings: Settings, args: argparse.Namespace) -> int:
    from yabot.api.auth import key_dir
    from yabot.api.tokens import DEFAULT_SCOPES, TokenError, issue_token, load_keys

    scopes = [s for value in (args.scope or DEFAULT_SCOPES) for s in value.split()]
    service = args.service.strip()
    if not service or not 1 <= args.ttl_minutes <= 525_600 or not scopes:
        print("--service must not be empty, --scope neither, and --ttl-minutes must be "
              "1-525600", file=sys.stderr)
        return EXIT_CONFIG
    keys = await asyncio.to_thread(load_keys, settings.jwt, key_dir(settings))
    try:
        print(issue_token(keys, settings.jwt, service=service, scopes=scopes,
                          ttl_seconds=args.ttl_minutes * 60))
    except TokenError as exc:
        print(f"yabot: {exc}", file=sys.stderr)
        return 1
    return 0


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "run": _run,
    "migrate": _migrate,
    "chat": _chat,
    "health": _health,
    "events": events_command,
    "content": _content,
    "token": _token,
    "users": users_command,
    "admin": admin_command,
}

def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it is installed (every platform but Windows), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


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
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            return runner.run(COMMANDS[args.command](settings, args))
    except SchemaNotReadyError as exc:  # missing or older schema: one line, no log noise
        print(f"yabot: {exc}", file=sys.stderr)
        return 1
    except (StoreUnavailableError, SchemaError) as exc:
        log.error("start-up failed", error=str(exc))
        print(f"yabot: start-up failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
