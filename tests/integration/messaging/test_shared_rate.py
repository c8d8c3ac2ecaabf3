"""TELEGRAM_SEND_RATE shared through Redis: two processes' buckets (separate clients) take
turns at one deployment-wide rate, a 429 pause reaches both, and Redis down does not stop
sending (each paces locally)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from tests.fixtures.redis import RedisServer
from yabot.services.messaging.pacing import LocalBucket, RedisBucket, create_limiter
from yabot.settings import RedisSettings

RATE = 40.0  # messages/s for the whole deployment (burst: one second's worth)
WINDOW = 2.0


@pytest.fixture
async def buckets(private_redis: RedisServer) -> AsyncIterator[list[RedisBucket]]:
    settings = RedisSettings(url=SecretStr(private_redis.url))
    made = [create_limiter(settings, RATE) for _ in range(2)]  # two processes
    assert all(isinstance(b, RedisBucket) for b in made)
    yield made  # type: ignore[misc]
    for bucket in made:
        await bucket.client.aclose()  # type: ignore[union-attr]


async def _taken(bucket: LocalBucket | RedisBucket, until: float) -> int:
    count = 0
    while True:
        await bucket.acquire()
        if time.monotonic() >= until:
            return count
        count += 1


async def test_two_processes_share_one_rate(buckets: list[RedisBucket]) -> None:
    until = time.monotonic() + WINDOW
    shared = sum(await asyncio.gather(*(_taken(b, until) for b in buckets)))
    allowance = RATE + RATE * WINDOW  # the burst, then the rate
    # two local buckets would take twice the allowance; the shared one takes it once
    assert RATE <= shared <= allowance * 1.25, shared
    local = [LocalBucket(RATE), LocalBucket(RATE)]
    until = time.monotonic() + WINDOW
    apart = sum(await asyncio.gather(*(_taken(b, until) for b in local)))
    assert apart > allowance * 1.5 > shared, (apart, shared)


async def test_a_429_pause_reaches_the_other_process(buckets: list[RedisBucket]) -> None:
    first, second = buckets
    await first.pause(1.0)
    started = time.monotonic()
    await second.acquire()
    assert time.monotonic() - started >= 0.8  # waited out the pause it did not see itself


async def test_redis_down_paces_locally_instead_of_stopping(
        buckets: list[RedisBucket], private_redis: RedisServer) -> None:
    private_redis.kill()
    started = time.monotonic()
    await asyncio.wait_for(asyncio.gather(*(b.acquire() for b in buckets)), timeout=10)
    assert time.monotonic() - started < 10
