"""Errors of the payments context (the API answers 502 and 503 for them)."""

from __future__ import annotations

from yabot.domain.errors import YabotError


class PaymentRefusedError(YabotError):
    """Telegram refused the call (e.g. a refund); nothing was changed here."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"Telegram refused: {reason}")


class GatewayUnavailableError(YabotError):
    """No Telegram bot in this process (BOT_TOKEN unset, or not started yet)."""
