"""Authentication-failure limiting: more than `limit` failures from one client within
`window` seconds and the client is told to back off (HTTP 429 with Retry-After).

Two implementations of one small protocol: in-process (a sliding log per client) and
Redis (a sorted set per client, updated by one Lua script), which holds across processes.
The API and the admin panel share them; build one with `create_failure_limiter`.
"""

from __future__ import annotations

import math
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from yabot.logs import get_logger
from yabot.redis_clients import build_client
from yabot.settings import RedisSettings

log = get_logger(__name__)

LIMIT = 20
WINDOW = 60.0
_MAX_CLIENTS = 10_000  # in-process: forget idle clients beyond this many


@dataclass(frozen=True)
class Verdict:
    """After recording a failure: how many in the window, and whether to answer 429."""

    failures: int
    blocked: bool
    retry_after: int  # whole seconds until the oldest failure leaves the window


class FailureLimiter(Protocol):
    limit: int

    async def record_failure(self, client: str) -> Verdict: ...

    async def aclose(self) -> None: ...


def _verdict(limit: int, failures: int, retry_after: float) -> Verdict:
    return Verdict(failures=failures, blocked=failures > limit,
                   retry_after=max(1, math.ceil(retry_after)))


class MemoryFailureLimiter:
    """Per process: a deque of failure times per client."""

    def __init__(self, *, limit: int = LIMIT, window: float = WINDOW) -> None:
        self.limit, self.window = limit, window
        self._log: dict[str, deque[float]] = {}

    async def record_failure(self, client: str) -> Verdict:
        now = time.monotonic()
        if len(self._log) >= _MAX_CLIENTS:
            self._forget_idle(now)
        times = self._log.setdefault(client, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        times.append(now)
        while len(times) > 4 * self.limit:  # bounded memory under a flood
            times.popleft()
        return _verdict(self.limit, len(times), times[0] + self.window - now)

    def _forget_idle(self, now: float) -> None:
        for client in [c for c, t in self._log.items() if not t or t[-1] <= now - self.window]:
            del self._log[client]

    async def aclose(self) -> None:
        self._log.clear()


# KEYS[1] = the client's sorted set; ARGV = window (ms), member, max entries kept.
# Returns {failures in the window, ms until the oldest one leaves it}.
_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -tonumber(ARGV[3]) - 1)
redis.call('PEXPIRE', KEYS[1], window)
local n = redis.call('ZCARD', KEYS[1])
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {n, tonumber(oldest[2]) + window - now}
"""


class RedisFailureLimiter:
    """Across processes: one sorted set per client, `yabot:authfail:{client}`.

    Redis unreachable: fail open (the caller still answers 401), with a warning."""

    def __init__(self, client: Redis | RedisCluster, *, limit: int = LIMIT,
                 window: float = WINDOW, prefix: str = "yabot:authfail:") -> None:
        self.client, self.limit, self.window, self.prefix = client, limit, window, prefix
        self._script: Any = client.register_script(_SCRIPT)

    async def record_failure(self, client: str) -> Verdict:
        try:
            count, wait_ms = await self._script(
                keys=[self.prefix + client],
                args=[int(self.window * 1000), uuid.uuid4().hex, 4 * self.limit])
        except RedisError as exc:
            log.warning("auth failure limiter: Redis unavailable, not limiting",
                        error=type(exc).__name__)
            return Verdict(failures=0, blocked=False, retry_after=1)
        return _verdict(self.limit, int(count), int(wait_ms) / 1000)

    async def aclose(self) -> None:
        await self.client.aclose()


def create_failure_limiter(redis: RedisSettings, *, limit: int = LIMIT,
                           window: float = WINDOW) -> FailureLimiter:
    """Redis-backed when REDIS_URL or Sentinels are configured, in-process otherwise."""
    if redis.url is None and not redis.sentinels:
        return MemoryFailureLimiter(limit=limit, window=window)
    client = build_client(redis, socket_timeout=0.5, connect_timeout=0.5, retries=0)
    return RedisFailureLimiter(client, limit=limit, window=window)
