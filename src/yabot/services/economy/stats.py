"""EconomyStats: besitos created and spent per day by source, and the money supply over
time, for the operators' economy page (so they can see inflation coming).

A source is the ledger reason up to its first ':' (`mission:react_1` -> `mission`). An
entry's effect is `amount + held_delta`, so auction holds and releases count for nothing
and a won auction counts once, as spent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from yabot.domain.clock import utcnow

SOURCES = ("reaction", "story", "daily_gift", "mission", "achievement", "trivia",
           "purchase", "auction")
OTHER = "other"  # operator and API awards (admin:…, free text reasons)


class StatsStore(Protocol):
    async def flows(self, since: datetime) -> list[tuple[date, str, int, int]]: ...
    async def supply_before(self, moment: datetime) -> int: ...


def source_of(reason: str) -> str:
    """The reason up to its first ':'; a known source, or `other`."""
    head = reason.split(":", 1)[0].strip().lower()
    return head if head in SOURCES else OTHER


@dataclass(frozen=True, kw_only=True)
class DayFlows:
    day: date
    created: dict[str, int] = field(default_factory=dict)  # source -> besitos
    spent: dict[str, int] = field(default_factory=dict)
    supply: int = 0  # money supply at the end of the day

    @property
    def created_total(self) -> int:
        return sum(self.created.values())

    @property
    def spent_total(self) -> int:
        return sum(self.spent.values())


class EconomyStats:
    def __init__(self, *, store: StatsStore) -> None:
        self.store = store

    async def daily(self, days: int = 30, *, now: datetime | None = None) -> list[DayFlows]:
        """The last `days` UTC days, oldest first, every day present (zeros included)."""
        if not 1 <= days <= 366:
            raise ValueError("days must be between 1 and 366")
        today = (now or utcnow()).astimezone(UTC).date()
        first = today - timedelta(days=days - 1)
        start = datetime.combine(first, time(), tzinfo=UTC)
        created: dict[date, dict[str, int]] = {}
        spent: dict[date, dict[str, int]] = {}
        for day, reason, plus, minus in await self.store.flows(start):
            source = source_of(reason)
            if plus:
                created.setdefault(day, {}).setdefault(source, 0)
                created[day][source] += plus
            if minus:
                spent.setdefault(day, {}).setdefault(source, 0)
                spent[day][source] += minus
        supply = await self.store.supply_before(start)
        out = []
        for i in range(days):
            day = first + timedelta(days=i)
            made, gone = created.get(day, {}), spent.get(day, {})
            supply += sum(made.values()) - sum(gone.values())
            out.append(DayFlows(day=day, created=made, spent=gone, supply=supply))
        return out
