"""Fault injection for crash and failure tests: one hook that the sagas and payments share.
Unset (production): no effect."""

from __future__ import annotations

import os
import signal

from yabot.domain.errors import YabotError

CRASH_ENV, FAIL_ENV = "YABOT_CRASH_AT", "YABOT_FAIL_AT"


class InjectedFailure(YabotError):
    """Raised at the step named by YABOT_FAIL_AT (fault-injection tests only)."""


def checkpoint(step: str) -> None:
    """SIGKILL this process at the step named by YABOT_CRASH_AT, or raise InjectedFailure
    at the one named by YABOT_FAIL_AT."""
    if os.environ.get(CRASH_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(FAIL_ENV) == step:
        raise InjectedFailure(f"injected failure at {step}")
