"""The `yabot` command line. Settings are validated before anything else happens."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from yabot.cli_admin import add_admin_parser, admin_command
from yabot.cli_users import add_users_parser, users_command
from yabot.domain.errors import SchemaError, StoreUnavailableError
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
    events = sub.add_parser("events", help="event bus operations")
    dlq = events.add_subparsers(dest="events_command", required=True).add_parser(
        "dlq", help="dead letters")
    dlq_sub = dlq.add_subparsers(dest="dlq_command", required=True)
    dlq_list = dlq_sub.add_parser("list", help="list dead letters not yet replayed")
    dlq_list.add_argument("--all", action="store_true", help="include replayed ones")
    replay = dlq_sub.add_parser("replay", help="send dead letters through the bus again")
    target = replay.add_mutually_exclusive_group(required=True)
    target.add_argument("ids", nargs="*", type=int, default=[], metavar="ID")
    target.add_argument("--all", action="store_true", help="every dead letter not yet replayed")
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
    from yabot.core import start_core, stop_core

    services = await start_core(settings)
    await stop_core(services)
    print("migrations applied; collections, validators and indexes ready")
    return 0


async def _health(settings: Settings, _args: argparse.Namespace) -> int:
    from yabot.core import start_core, stop_core
    from yabot.storage.manager import RetryPolicy

    try:
        services = await start_core(settings, migrate=False,
                                        retry=RetryPolicy(attempts=1))
    except StoreUnavailableError as exc:
        print(json.dumps({"status": "not_ready", "error": str(exc)}, indent=2))
        return 1
    try:
        ready, body = await services.health.check()
    finally:
        await stop_core(services)
    print(json.dumps(body, indent=2))
    return 0 if ready else 1


async def _events(settings: Settings, args: argparse.Namespace) -> int:
    from yabot.core import start_core, stop_core
    from yabot.events.dead_letter_queue import list_dead_letters, replay_dead_letters

    services = await start_core(settings)
    try:
        db = services.stores.sql
        if args.dlq_command == "list":
            rows = await list_dead_letters(db, include_replayed=args.all)
            for r in rows:
                print(f"{r.id}\t{r.event_type}\t{r.event_id}\tgroup={r.consumer_group}\t"
                      f"attempts={r.attempts}\t{r.created_at}\t"
                      f"{'replayed ' + str(r.replayed_at) if r.replayed_at else 'pending'}\t"
                      f"{r.error}")
            print(f"{len(rows)} dead letter(s)", file=sys.stderr)
            return 0
        if not args.all and not args.ids:
            print("give dead-letter IDs or --all", file=sys.stderr)
            return EXIT_CONFIG
        done = await replay_dead_letters(db, None if args.all else args.ids)
        missing = sorted(set(args.ids) - set(done))
        print(f"replayed {len(done)} dead letter(s): {' '.join(map(str, done))}")
        if missing:
            print(f"not found or already replayed: {' '.join(map(str, missing))}",
                  file=sys.stderr)
            return 1
        return 0
    finally:
        await stop_core(services)


async def _content(settings: Settings, args: argparse.Namespace) -> int:
    from yabot.core import start_core, stop_core
    from yabot.domain.errors import ContentError

    services = await start_core(settings)
    try:
        fragments, items = await services.domain.narrative.load_pack_file(args.path)
    except ContentError as exc:
        for problem in exc.problems:
            print(f"content error: {problem}", file=sys.stderr)
        print(f"{len(exc.problems)} problem(s); nothing was loaded", file=sys.stderr)
        return 1
    finally:
        await stop_core(services)
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
    "events": _events,
    "content": _content,
    "token": _token,
    "users": users_command,
    "admin": admin_command,
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
