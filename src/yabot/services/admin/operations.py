"""What operators watch beyond the stores: the outbox backlog and the dead letters, as
health components (`/health/ready`, `yabot health`) and as Prometheus gauges."""

from __future__ import annotations

from yabot.domain.health import ComponentHealth
from yabot.events.bus import EventBus
from yabot.observability.metrics import Metrics
from yabot.services.admin.dead_letters import DeadLetterService
from yabot.storage.manager import probe


class OperationsStatus:
    def __init__(self, *, bus: EventBus, dead_letters: DeadLetterService) -> None:
        self.bus, self.dead_letters = bus, dead_letters

    async def health(self) -> dict[str, ComponentHealth]:
        """`outbox` and `dead_letters` entries: up while they can be read (a backlog or a
        dead letter is something to look at, not a reason to stop serving)."""
        counts: dict[str, int] = {}

        async def backlog() -> None:
            counts["outbox"] = await self.bus.outbox.backlog()

        async def pending() -> None:
            counts["dead_letters"] = await self.dead_letters.pending_count()

        outbox = await probe(self.bus.db.backend, backlog)
        dead = await probe(self.bus.db.backend, pending)
        if "outbox" in counts:
            outbox.detail["backlog"] = counts["outbox"]
        if "dead_letters" in counts:
            dead.detail["pending"] = counts["dead_letters"]
        return {"outbox": outbox, "dead_letters": dead}

    async def refresh_gauges(self, metrics: Metrics) -> None:
        metrics.outbox_backlog.set(await self.bus.outbox.backlog())
        metrics.dead_letters.set(await self.dead_letters.pending_count())
