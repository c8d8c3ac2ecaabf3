"""`yabot users import PATH [--dry-run]`: validate a legacy export whole, then import it
into a migrated database (no migration here; `--dry-run` writes nothing)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from yabot.services.users.legacy_rows import LegacyFileError, read_legacy_file
from yabot.settings import Settings

if TYPE_CHECKING:
    from rich.progress import Progress

MAX_PROBLEMS_SHOWN = 50


def add_users_parser(sub: Any) -> None:
    users = sub.add_parser("users", help="user administration")
    imp = users.add_subparsers(dest="users_command", required=True).add_parser(
        "import", help="import users from a legacy export (.jsonl or .csv), all or nothing")
    imp.add_argument("path", metavar="PATH")
    imp.add_argument("--dry-run", action="store_true",
                     help="validate and report what would change; write nothing")


def _report_problems(problems: list[str]) -> None:
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        print(f"import error: {problem}", file=sys.stderr)
    if len(problems) > MAX_PROBLEMS_SHOWN:
        print(f"... and {len(problems) - MAX_PROBLEMS_SHOWN} more", file=sys.stderr)
    print(f"{len(problems)} problem(s); nothing was imported", file=sys.stderr)


@contextmanager
def _bar(total: int) -> Iterator[Progress]:
    """A progress bar on stderr when it is a terminal (rich draws nothing otherwise)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeRemainingColumn(), transient=True,
                        disable=not sys.stderr.isatty() or total < 1000)
    with progress:
        yield progress


async def users_command(settings: Settings, args: argparse.Namespace) -> int:
    from yabot.core import build_core, open_stores, stop_core
    from yabot.services.container import user_importer

    started = time.monotonic()
    try:
        rows = await asyncio.to_thread(read_legacy_file, args.path)
    except LegacyFileError as exc:
        _report_problems(exc.problems)
        return 1
    core = build_core(settings, await open_stores(settings))
    try:
        importer = user_importer(core.domain, core.stores)
        with _bar(len(rows)) as bar:
            task = bar.add_task("checking", total=len(rows))
            plan = await importer.plan(rows, lambda n: bar.advance(task, n))
            if not args.dry_run:
                bar.reset(task, description="importing", total=len(rows))
                await importer.apply(plan, lambda n: bar.advance(task, n))
    except LegacyFileError as exc:
        _report_problems(exc.problems)
        return 1
    finally:
        await stop_core(core)
    summary = plan.summary()
    verb = "would change" if args.dry_run else "imported"
    print(f"{args.path}: {verb}: " + ", ".join(f"{k}={v}" for k, v in summary.items()))
    if not args.dry_run:
        print(f"done in {time.monotonic() - started:.1f} s; the events are in the outbox and "
              "go out with the next `yabot run`")
    return 0
