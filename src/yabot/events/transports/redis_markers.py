"""Sending with loss detection: every partition stream has a marker key, the highest outbox
row id (`seq`) appended to it, written by the same Lua script as the XADDs.

Script effects are one unit in the AOF and in RDB snapshots, so a Redis that comes back
with less than it had (no persistence, `appendfsync everysec`, an old snapshot, a flush)
has a marker that went back or vanished. The transport remembers the markers it set; a
send or `verify` that finds one lower raises TransportDataLostError, and the relay sends
its replay window again. A script that finds its marker lower appends nothing, so no
newer event reaches a partition before the replayed older ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from yabot.events.transports.base import (
    OutgoingMessage,
    TransportDataLostError,
    partition_for,
)
from yabot.events.transports.redis_leases import stream_key

# KEYS: stream and marker of each partition. ARGV: maxlen, then per partition the expected
# marker (-1: unchecked), its message count and 5 values per message.
# Returns ok (1, or 0: marker went back, nothing appended) and the marker, per partition.
_SEND = """
local out, a = {}, 2
for k = 1, #KEYS, 2 do
  local expected, n = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  a = a + 2
  local cur = tonumber(redis.call('GET', KEYS[k + 1]) or '0')
  if expected >= 0 and cur < expected then
    out[#out + 1] = 0
    out[#out + 1] = cur
  else
    local top = cur
    for i = a, a + 5 * n - 1, 5 do
      redis.call('XADD', KEYS[k], 'MAXLEN', '~', ARGV[1], '*', 'event_id', ARGV[i],
                 'event_type', ARGV[i + 1], 'key', ARGV[i + 2], 'data', ARGV[i + 3])
      local seq = tonumber(ARGV[i + 4])
      if seq > top then top = seq end
    end
    redis.call('SET', KEYS[k + 1], top)
    out[#out + 1] = 1
    out[#out + 1] = top
  end
  a = a + 5 * n
end
return out
"""


def marker_key(prefix: str, partition: int) -> str:
    return f"{stream_key(prefix, partition)}:relayed"


class MarkedSender:
    """XADD batches per partition through `_SEND`; tracks the expected markers."""

    def __init__(self, client: Any, *, prefix: str, partitions: int, maxlen: int,
                 cluster: bool) -> None:
        self._client, self._prefix, self._partitions = client, prefix, partitions
        self._maxlen, self._cluster = maxlen, cluster
        self._expected: dict[int, int] = {}  # empty: not checked (no baseline loaded)
        self.script = client.register_script(_SEND)

    async def load(self) -> dict[int, int]:
        """Read every partition's marker and check against them from now on."""
        self._expected = await self._current()
        return dict(self._expected)

    async def verify(self) -> None:
        if not self._expected:
            return
        current = await self._current()
        lost = {p for p, v in current.items() if v < self._expected.get(p, 0)}
        self._expected = current
        if lost:
            raise TransportDataLostError(lost)

    async def _current(self) -> dict[int, int]:
        keys = [marker_key(self._prefix, p) for p in range(self._partitions)]
        if self._cluster:
            values = await asyncio.gather(*(self._client.get(k) for k in keys))
        else:
            pipe = self._client.pipeline(transaction=False)
            for key in keys:
                pipe.get(key)
            values = await pipe.execute()
        return {p: int(v or 0) for p, v in enumerate(values)}

    def calls(self, messages: Sequence[OutgoingMessage]
              ) -> list[tuple[list[int], list[str], list[Any]]]:
        """(partitions, KEYS, ARGV) of the script calls for `messages`: one call for all
        partitions, or (cluster: one slot per call) one per partition."""
        by_partition: dict[int, list[Any]] = {}
        for m in messages:
            p = partition_for(m.key, self._partitions)
            by_partition.setdefault(p, []).extend(
                (m.event_id, m.event_type, m.key or "", m.data, m.seq))
        groups = ([[p] for p in by_partition] if self._cluster else [list(by_partition)])
        out = []
        for parts in groups:
            keys: list[str] = []
            args: list[Any] = [self._maxlen]
            for p in parts:
                keys += [stream_key(self._prefix, p), marker_key(self._prefix, p)]
                args += [self._expected.get(p, -1), len(by_partition[p]) // 5,
                         *by_partition[p]]
            out.append((parts, keys, args))
        return out

    def settle(self, partitions: list[int], replies: Sequence[Any]) -> None:
        """Record the new markers; raise TransportDataLostError for refused partitions.
        `replies` are the scripts' flat [ok, marker, ok, marker, ...] in partition order."""
        lost: set[int] = set()
        for k, p in enumerate(partitions):
            ok, top = replies[2 * k], replies[2 * k + 1]
            self._expected[p] = int(top)
            if not int(ok):
                lost.add(p)
        if lost:
            raise TransportDataLostError(lost)
