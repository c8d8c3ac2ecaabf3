"""Partition leases on Redis: `SET NX PX` locks plus a heartbeat ZSET of live consumers.

Each consumer takes a fair share (ceil(partitions / live consumers)) and gives back what
is above it, so a newly started worker gets partitions within a couple of claim rounds.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from typing import Any

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


def stream_key(prefix: str, partition: int) -> str:
    """`yabot:events:{p3}`: the hash tag puts a partition's stream and leases in one slot."""
    return f"{prefix}:{{p{partition}}}"


def lease_key(prefix: str, group: str, partition: int) -> str:
    return f"{stream_key(prefix, partition)}:lease:{group}"


def consumers_key(prefix: str, group: str) -> str:
    return f"{prefix}:consumers:{group}"


@dataclass(frozen=True, kw_only=True)
class ClaimResult:
    owned: set[int]
    acquired: set[int]  # newly taken with SET NX: pending messages must be taken over


class LeaseManager:
    """Acquire, renew and release partition leases of consumers of a group."""

    def __init__(self, client: Any, *, prefix: str, partitions: int, ttl_ms: int) -> None:
        self._client = client
        self._prefix = prefix
        self._partitions = partitions
        self._ttl_ms = ttl_ms

    async def claim(self, group: str, consumer: str) -> ClaimResult:
        """One claim round: heartbeat, renew own leases, release extras, take free ones."""
        now = time.time()
        ttl = self._ttl_ms / 1000
        ckey = consumers_key(self._prefix, group)
        keys = [lease_key(self._prefix, group, p) for p in range(self._partitions)]
        pipe = self._client.pipeline(transaction=False)
        pipe.zadd(ckey, {consumer: now})
        pipe.zremrangebyscore(ckey, "-inf", now - 3 * ttl)
        pipe.zcount(ckey, now - ttl, "+inf")
        pipe.pexpire(ckey, 10 * self._ttl_ms)
        for key in keys:
            pipe.get(key)
        results = await pipe.execute()
        live = max(int(results[2]), 1)
        owners: list[str | None] = results[4:]
        share = math.ceil(self._partitions / live)
        mine = [p for p, owner in enumerate(owners) if owner == consumer]
        free = [p for p, owner in enumerate(owners) if owner is None]
        keep, drop = mine[:share], mine[share:]
        random.shuffle(free)
        wanted = free[: max(share - len(keep), 0)]

        pipe = self._client.pipeline(transaction=False)
        for p in keep:
            pipe.eval(_RENEW, 1, keys[p], consumer, self._ttl_ms)
        for p in drop:
            pipe.eval(_RELEASE, 1, keys[p], consumer)
        for p in wanted:
            pipe.set(keys[p], consumer, nx=True, px=self._ttl_ms)
        if not (keep or drop or wanted):
            return ClaimResult(owned=set(), acquired=set())
        results = await pipe.execute()
        kept = {p for p, ok in zip(keep, results, strict=False) if ok}
        acquired = {p for p, ok in zip(wanted, results[len(keep) + len(drop):], strict=True) if ok}
        return ClaimResult(owned=kept | acquired, acquired=acquired)

    async def release(self, group: str, consumer: str) -> None:
        """Drop every lease held by `consumer` and its heartbeat."""
        pipe = self._client.pipeline(transaction=False)
        for p in range(self._partitions):
            pipe.eval(_RELEASE, 1, lease_key(self._prefix, group, p), consumer)
        pipe.zrem(consumers_key(self._prefix, group), consumer)
        await pipe.execute()
