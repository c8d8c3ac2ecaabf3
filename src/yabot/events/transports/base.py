"""The transport port: partitioned, ordered streams with consumer groups.

A transport moves serialized events from the outbox relay to consumer groups. Events
with the same partition key (the user id) land in the same partition, in send order.
Each partition of a group is read by one consumer at a time (`claim_partitions`), which
is what keeps per-user order with several worker processes.
"""

from __future__ import annotations

import zlib
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field


class TransportUnavailableError(Exception):
    """The transport cannot take or give messages right now (e.g. Redis is down)."""


class TransportDataLostError(Exception):
    """The transport lost messages it had accepted (e.g. Redis restarted without
    persistence): the relay must send its replay window again, in order."""

    def __init__(self, partitions: set[int]) -> None:
        super().__init__(f"transport lost data on partitions {sorted(partitions)}")
        self.partitions = partitions


def partition_for(key: str | None, partitions: int) -> int:
    """Stable partition of a key (same in every process, unlike hash())."""
    if not key:
        return 0
    return zlib.crc32(key.encode()) % partitions


@dataclass(frozen=True, kw_only=True)
class OutgoingMessage:
    """One event on its way to the transport."""

    event_id: str
    event_type: str
    key: str | None  # partition key: the user id, when the event is about a user
    data: str  # the serialized event (JSON)
    seq: int = 0  # the outbox row id: durable transports keep the highest sent per partition


@dataclass(frozen=True, kw_only=True)
class Delivery:
    """One message handed to a consumer; ack it with its `message_id`."""

    partition: int
    message_id: str
    event_id: str
    event_type: str
    key: str | None
    data: str
    delivery_count: int = 1


@dataclass(frozen=True, kw_only=True)
class DeadLetter:
    event_id: str
    event_type: str
    group: str
    data: str
    error: str
    attempts: int


@dataclass(kw_only=True)
class TransportHealth:
    ok: bool
    detail: dict[str, object] = field(default_factory=dict)


SettledCallback = Callable[[list[str]], Awaitable[None]]


class Transport(ABC):
    """Base class of every transport (memory, redis_streams)."""

    name: str
    partitions: int
    #: True when `send` returning means the message survives a crash of this process.
    durable_on_send: bool

    def set_settled_callback(self, callback: SettledCallback) -> None:  # noqa: B027
        """Non-durable transports call `callback(event_ids)` once every group acked them.

        The relay keeps those events in the outbox until then, so a crash loses nothing.
        Durable transports never call it.
        """

    async def load_markers(self) -> dict[int, int] | None:
        """Durable transports: the highest `seq` each partition holds (what survived), and
        from now on `send`/`verify` raise TransportDataLostError when that goes back.
        None: the transport keeps no markers (it is not durable)."""
        return None

    async def verify(self) -> None:  # noqa: B027
        """Raise TransportDataLostError if a partition lost messages since the last send."""

    @abstractmethod
    async def start(self) -> None:
        """Connect. Must not fail when the backend is down (later calls raise instead)."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def send(self, messages: Sequence[OutgoingMessage]) -> None:
        """Append messages in order; all or raise TransportUnavailableError."""

    @abstractmethod
    async def ensure_group(self, group: str) -> None:
        """Create the consumer group on every partition; it sees everything still retained."""

    @abstractmethod
    async def claim_partitions(self, group: str, consumer: str) -> set[int]:
        """Acquire/renew partition leases for `consumer`; return the partitions it owns now.

        Called periodically. Takes a fair share of the partitions given the live consumers
        of the group, and releases partitions beyond that share.
        """

    @abstractmethod
    async def read(self, group: str, consumer: str, partition: int, *, count: int,
                   block_ms: int) -> list[Delivery]:
        """Next messages of an owned partition, oldest first.

        Messages left pending by a previous owner come first (taken over, e.g. XAUTOCLAIM),
        then new ones. Blocks up to `block_ms` when there is nothing.
        """

    @abstractmethod
    async def read_many(self, group: str, consumer: str, partitions: set[int], *, count: int,
                        block_ms: int) -> list[Delivery]:
        """`read` over several owned partitions at once (at most `count` from each), in
        partition order; blocks up to `block_ms` when none has anything."""

    @abstractmethod
    async def ack(self, group: str, partition: int, message_ids: Sequence[str]) -> None: ...

    async def ack_many(self, group: str, acks: dict[int, list[str]]) -> None:
        """Acknowledge messages of several partitions."""
        for partition, message_ids in acks.items():
            await self.ack(group, partition, message_ids)

    @abstractmethod
    async def release(self, group: str, consumer: str) -> None:
        """Give up every lease of `consumer` (graceful shutdown)."""

    @abstractmethod
    async def dead_letter(self, letter: DeadLetter) -> None:
        """Record a dead letter on the transport side (e.g. a dead-letter stream)."""

    @abstractmethod
    async def health(self) -> TransportHealth: ...
