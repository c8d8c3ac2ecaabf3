"""Readiness: every configured component reports, and the service is ready when all are up."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

from yabot.domain.health import ComponentHealth

HealthSource = Callable[[], Awaitable[dict[str, ComponentHealth]]]


class HealthService:
    """Collects component health from registered sources (stores, event bus, bot)."""

    def __init__(self) -> None:
        self._sources: list[HealthSource] = []

    def add_source(self, source: HealthSource) -> None:
        self._sources.append(source)

    async def check(self) -> tuple[bool, dict[str, Any]]:
        results = await asyncio.gather(*(source() for source in self._sources))
        components: dict[str, ComponentHealth] = {}
        for result in results:
            components.update(result)
        ready = all(c.ok for c in components.values())
        body = {
            "status": "ready" if ready else "not_ready",
            "components": {
                name: {k: v for k, v in asdict(c).items() if v not in (None, {})}
                for name, c in components.items()
            },
        }
        return ready, body
