"""The in-process failure limiter: the 21st failure within the window blocks."""

from __future__ import annotations

from yabot.security.auth_failures import MemoryFailureLimiter, create_failure_limiter
from yabot.settings import RedisSettings


async def test_blocks_after_the_limit_per_client() -> None:
    limiter = MemoryFailureLimiter(limit=20, window=60)
    verdicts = [await limiter.record_failure("10.0.0.1") for _ in range(21)]
    assert [v.blocked for v in verdicts] == [False] * 20 + [True]
    assert 1 <= verdicts[-1].retry_after <= 60
    assert not (await limiter.record_failure("10.0.0.2")).blocked  # another client


async def test_failures_leave_the_window() -> None:
    limiter = MemoryFailureLimiter(limit=2, window=0.0)  # everything is already old
    assert [(await limiter.record_failure("c")).blocked for _ in range(5)] == [False] * 5


def test_memory_without_redis_settings() -> None:
    limiter = create_failure_limiter(RedisSettings(url=None, sentinels=None))
    assert isinstance(limiter, MemoryFailureLimiter)
