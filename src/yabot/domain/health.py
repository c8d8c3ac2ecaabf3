"""What a health check reports about one component (a store, the bus, the bot)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(kw_only=True)
class ComponentHealth:
    status: str  # "up" | "down"
    latency_ms: float | None = None
    backend: str = ""
    error: str | None = None
    detail: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "up"
