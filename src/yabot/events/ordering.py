"""Per-key ordering: events of one user run in sequence, different users concurrently."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import TypeVar

T = TypeVar("T")


async def run_in_key_order(items: Sequence[T], key: Callable[[T], Hashable],
                           fn: Callable[[T], Awaitable[None]], concurrency: int) -> None:
    """Run `fn` over items: one chain per key in batch order, at most `concurrency` chains."""
    chains: dict[Hashable, list[T]] = {}
    for item in items:
        chains.setdefault(key(item), []).append(item)
    limit = asyncio.Semaphore(concurrency)

    async def run_chain(chain: list[T]) -> None:
        async with limit:
            for item in chain:
                await fn(item)

    await asyncio.gather(*(run_chain(chain) for chain in chains.values()))
