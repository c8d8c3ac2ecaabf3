"""RetryRequests: 429 waits retry_after, 5xx and network errors back off, others raise."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter, TelegramServerError
from aiogram.methods import GetUpdates, SendMessage

from yabot.bot.session import RetryPolicy, RetryRequests

FAST = RetryPolicy(attempts=4, base_delay=0.001, max_delay=0.002)


class Flaky:
    """make_request that raises the given errors in turn, then answers."""

    def __init__(self, *errors: Exception) -> None:
        self.errors, self.calls = list(errors), 0

    async def __call__(self, bot: Any, method: Any) -> Any:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "sent"


def _method() -> SendMessage:
    return SendMessage(chat_id=1, text="hola")


async def test_retries_429_and_5xx_until_it_goes_through() -> None:
    m = _method()
    flaky = Flaky(TelegramRetryAfter(m, "slow down", retry_after=0),
                  TelegramServerError(m, "bad gateway"), TelegramServerError(m, "again"))
    assert await RetryRequests(FAST)(flaky, None, m) == "sent"  # type: ignore[arg-type]
    assert flaky.calls == 4


async def test_gives_up_after_the_attempts_and_never_retries_a_bad_request() -> None:
    m = _method()
    down = Flaky(*[TelegramServerError(m, "down")] * 5)
    with pytest.raises(TelegramServerError):
        await RetryRequests(FAST)(down, None, m)  # type: ignore[arg-type]
    assert down.calls == 4
    bad = Flaky(TelegramBadRequest(m, "chat not found"))
    with pytest.raises(TelegramBadRequest):
        await RetryRequests(FAST)(bad, None, m)  # type: ignore[arg-type]
    assert bad.calls == 1


async def test_get_updates_is_left_to_the_polling_loop() -> None:
    m = GetUpdates()
    flaky = Flaky(TelegramServerError(m, "down"))
    with pytest.raises(TelegramServerError):
        await RetryRequests(FAST)(flaky, None, m)  # type: ignore[arg-type]
    assert flaky.calls == 1
