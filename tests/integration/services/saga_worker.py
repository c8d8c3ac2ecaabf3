"""A separate process for the saga crash tests (run as a script, not collected).

    python saga_worker.py (create|delete) TELEGRAM_ID

Settings come from the environment as for `yabot run` (SQLITE_DATABASE_PATH, DATABASE_URL,
MONGODB_URI, ...). `YABOT_CRASH_AT=<step>` makes the process SIGKILL itself at that step,
`YABOT_FAIL_AT=<step>` raises there (see
`yabot.faults.checkpoint`). The event bus
is not started: whatever is published stays in the outbox for the restarted process.
Prints `done` after the call returned.
"""

from __future__ import annotations

import asyncio
import sys

from yabot.core import start_core, stop_core
from yabot.domain.views import TelegramUser
from yabot.logs import configure_logging
from yabot.settings import load_settings


async def main(action: str, telegram_id: int) -> int:
    settings = load_settings()
    configure_logging(settings.log, stream=sys.stderr)
    services = await start_core(settings)
    try:
        if action == "create":
            await services.domain.users.create_user(
                TelegramUser(id=telegram_id, username=f"u{telegram_id}"))
        else:
            await services.domain.users.delete_user(str(telegram_id), reason="test")
        print("done", flush=True)
    finally:
        await stop_core(services)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], int(sys.argv[2]))))
