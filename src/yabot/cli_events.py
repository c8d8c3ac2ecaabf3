"""`yabot events dlq list [--all]` (read-only) and `yabot events dlq replay (ID ... | --all)`.

Both open the relational store only: no document store, no bus, no migration.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from yabot.settings import Settings

EXIT_USAGE = 2


def add_events_parser(sub: Any) -> None:
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


async def events_command(settings: Settings, args: argparse.Namespace) -> int:
    from yabot.core import open_stores
    from yabot.events.dead_letter_queue import list_dead_letters, replay_dead_letters

    if args.dlq_command == "replay" and not args.all and not args.ids:
        print("give dead-letter IDs or --all", file=sys.stderr)
        return EXIT_USAGE
    stores = await open_stores(settings, documents=False)
    try:
        db = stores.sql
        if args.dlq_command == "list":
            rows = await list_dead_letters(db, include_replayed=args.all)
            for r in rows:
                print(f"{r.id}\t{r.event_type}\t{r.event_id}\tgroup={r.consumer_group}\t"
                      f"attempts={r.attempts}\t{r.created_at}\t"
                      f"{'replayed ' + str(r.replayed_at) if r.replayed_at else 'pending'}\t"
                      f"{r.error}")
            print(f"{len(rows)} dead letter(s)", file=sys.stderr)
            return 0
        done = await replay_dead_letters(db, None if args.all else args.ids)
    finally:
        await stores.disconnect_all()
    missing = sorted(set(args.ids) - set(done))
    print(f"replayed {len(done)} dead letter(s): {' '.join(map(str, done))}")
    if missing:
        print(f"not found or already replayed: {' '.join(map(str, missing))}", file=sys.stderr)
        return 1
    return 0
