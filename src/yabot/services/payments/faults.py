"""Crash injection for the payment tests: SIGKILL at the step named by YABOT_CRASH_AT
(the same variable as the sagas' checkpoint). Unset (production): no effect."""

from __future__ import annotations

import os
import signal

CRASH_ENV = "YABOT_CRASH_AT"


def checkpoint(step: str) -> None:
    if os.environ.get(CRASH_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)
