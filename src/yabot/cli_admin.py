"""`yabot admin add USERNAME` (password: first line of stdin) and `yabot admin remove USERNAME`,
on the relational store of a migrated database only."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from yabot.settings import Settings


def add_admin_parser(sub: Any) -> None:
    admin = sub.add_parser("admin", help="operator accounts of the admin panel (/admin)")
    commands = admin.add_subparsers(dest="admin_command", required=True)
    add = commands.add_parser(
        "add", help="create an operator; the password is the first line of stdin (>= 12 chars)")
    add.add_argument("username", metavar="USERNAME")
    remove = commands.add_parser("remove", help="delete an operator and end its sessions")
    remove.add_argument("username", metavar="USERNAME")


async def admin_command(settings: Settings, args: argparse.Namespace) -> int:
    from yabot.core import open_stores
    from yabot.domain.errors import ConflictError, NotFoundError
    from yabot.services.admin.accounts import check_credentials
    from yabot.services.container import admin_account_service

    password = ""
    if args.admin_command == "add":
        password = (await asyncio.to_thread(sys.stdin.readline)).rstrip("\r\n")
        try:
            check_credentials(args.username, password)
        except ValueError as exc:
            print(f"admin add: {exc}", file=sys.stderr)
            return 2
    stores = await open_stores(settings, documents=False)
    accounts = admin_account_service(settings, stores.sql)
    try:
        if args.admin_command == "add":
            await accounts.add(args.username, password)
            print(f"operator {args.username} added; log in at /admin/login")
        else:
            await accounts.remove(args.username)
            print(f"operator {args.username} removed; its sessions are closed")
        return 0
    except (ConflictError, NotFoundError) as exc:
        print(f"admin {args.admin_command}: {exc}", file=sys.stderr)
        return 1
    finally:
        await stores.disconnect_all()
