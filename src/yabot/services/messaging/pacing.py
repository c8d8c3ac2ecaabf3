"""Telegram's limits for the sender: a deployment-wide token bucket (in process, or shared
through Redis) that a 429 pauses, and about one message per second per chat."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol

from yabot.logs import get_logger
from yabot.settings import RedisSettings

log = get_logger(__name__)


class RateLimiter(Protocol):
    async def acquire(self) -> None:
        """Wait for one message's worth of the deployment's rate."""

    async def pause(self, seconds: float) -> None:
        """Telegram said 429: nobody sends for `seconds`."""


class LocalBucket:
    """A token bucket in this process (burst: one second's worth)."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate, self.burst = rate, max(1.0, burst if burst is not None else rate)
        self.tokens, self.at, self.paused_until = self.burst, time.monotonic(), 0.0

    def wait_time(self) -> float:
        """Take a token and return 0, or return how long to wait for one."""
        now = time.monotonic()
        if now < self.paused_until:
            return self.paused_until - now
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate

    async def acquire(self) -> None:
        while (wait := self.wait_time()) > 0:  # noqa: ASYNC110 - a timed wait, no event
            await asyncio.sleep(wait)

    async def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)


# KEYS: bucket, pause; ARGV: rate, burst. Returns 0 (token taken) or the ms to wait.
_TAKE = """
local pause = redis.call('PTTL', KEYS[2])
if pause > 0 then return pause end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]) or burst, tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - at) * rate / 1000)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) * 1000 / rate) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], 60000)
return wait
"""


class RedisBucket:
    """The same bucket in Redis (one Lua call per message, Redis's clock), so every process
    of the deployment shares `TELEGRAM_SEND_RATE`. While Redis fails, a local bucket at
    the full rate stands in (and the log says so)."""

    def __init__(self, client: Any, rate: float, *, prefix: str = "{yabot:send}") -> None:
        self.client, self.rate, self.burst = client, rate, max(1.0, rate)
        self.keys = [f"{prefix}:bucket", f"{prefix}:pause"]
        self.fallback = LocalBucket(rate)
        self._script: Any = None

    async def acquire(self) -> None:
        while True:
            try:
                if self._script is None:
                    self._script = self.client.register_script(_TAKE)
                wait_ms = int(await self._script(keys=self.keys, args=[self.rate, self.burst]))
            except Exception as exc:  # Redis down: pace locally instead of stopping
                log.warning("send rate: Redis unavailable, pacing locally",
                            error=type(exc).__name__)
                await self.fallback.acquire()
                return
            if wait_ms <= 0:
                return
            await asyncio.sleep(wait_ms / 1000)

    async def pause(self, seconds: float) -> None:
        await self.fallback.pause(seconds)
        try:
            await self.client.set(self.keys[1], "1", px=max(1, int(seconds * 1000)))
        except Exception as exc:
            log.warning("send pause not shared: Redis unavailable", error=type(exc).__name__)


class ChatPacer:
    """About `rate` messages per second per chat (a small burst allowed), in this process."""

    def __init__(self, rate: float = 1.0, burst: float = 3.0, max_chats: int = 100_000) -> None:
        self.rate, self.burst, self.max_chats = rate, burst, max_chats
        self._buckets: dict[int, LocalBucket] = {}

    def wait_time(self, chat_id: int) -> float:
        bucket = self._buckets.get(chat_id)
        if bucket is None:
            if len(self._buckets) >= self.max_chats:
                self._buckets.clear()
            bucket = self._buckets[chat_id] = LocalBucket(self.rate, self.burst)
        return bucket.wait_time()


def create_limiter(redis: RedisSettings, rate: float) -> LocalBucket | RedisBucket:
    """The deployment's bucket: in Redis when REDIS_* is configured, else in process."""
    if redis.url is None and not redis.sentinels:
        return LocalBucket(rate)
    from yabot.redis_clients import build_client

    return RedisBucket(build_client(redis, socket_timeout=0.5, connect_timeout=0.5, retries=0),
                       rate)
