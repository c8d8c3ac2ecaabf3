"""The economy page's charts as plain numbers for inline SVG (no script, no inline style):
stacked bars of besitos per day by source, and the money supply as a line."""

from __future__ import annotations

from dataclasses import dataclass

from yabot.services.economy.stats import OTHER, SOURCES, DayFlows

WIDTH, HEIGHT, PAD = 640, 180, 28
COLORS = {"reaction": "#c2185b", "story": "#7b1fa2", "daily_gift": "#f57c00",
          "mission": "#388e3c", "achievement": "#fbc02d", "trivia": "#0288d1",
          "purchase": "#5d4037", "auction": "#455a64", OTHER: "#9e9e9e"}
ORDER = (*SOURCES, OTHER)


@dataclass(frozen=True, kw_only=True)
class Segment:
    x: float
    y: float
    width: float
    height: float
    color: str
    label: str  # "2026-12-06 mission: 12"


@dataclass(frozen=True, kw_only=True)
class StackedChart:
    segments: list[Segment]
    peak: int
    total: int
    first: str
    last: str
    width: int = WIDTH
    height: int = HEIGHT
    pad: int = PAD


@dataclass(frozen=True, kw_only=True)
class LineChart:
    points: str  # "x,y x,y ..." for a <polyline>
    low: int
    high: int
    last: int
    first_day: str
    last_day: str
    width: int = WIDTH
    height: int = HEIGHT
    pad: int = PAD


def legend(days: list[DayFlows]) -> list[tuple[str, str]]:
    """(source, color) for the sources that appear, in a fixed order."""
    seen = {s for d in days for s in (*d.created, *d.spent)}
    return [(s, COLORS[s]) for s in ORDER if s in seen]


def stacked(days: list[DayFlows], which: str) -> StackedChart:
    """One stacked bar per day of `created` or `spent` besitos, by source."""
    values = [d.created if which == "created" else d.spent for d in days]
    totals = [sum(v.values()) for v in values]
    peak, n = max(totals, default=0), max(1, len(days))
    slot, usable = (WIDTH - 2 * PAD) / n, HEIGHT - 2 * PAD
    segments = []
    for i, (day, by_source) in enumerate(zip(days, values, strict=True)):
        bottom = float(HEIGHT - PAD)
        for source in ORDER:
            amount = by_source.get(source, 0)
            if not amount or not peak:
                continue
            h = amount / peak * usable
            bottom -= h
            segments.append(Segment(x=round(PAD + i * slot + slot * 0.1, 2),
                                    y=round(bottom, 2), width=round(slot * 0.8, 2),
                                    height=round(h, 2), color=COLORS[source],
                                    label=f"{day.day.isoformat()} {source}: {amount}"))
    return StackedChart(segments=segments, peak=peak, total=sum(totals),
                        first=days[0].day.isoformat() if days else "",
                        last=days[-1].day.isoformat() if days else "")


def supply_line(days: list[DayFlows]) -> LineChart:
    """The money supply at the end of each day, scaled between its low and high."""
    values = [d.supply for d in days] or [0]
    low, high = min(values), max(values)
    span, n = (high - low) or 1, max(1, len(values) - 1)
    usable_w, usable_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    points = " ".join(
        f"{round(PAD + i / n * usable_w, 2)},{round(HEIGHT - PAD - (v - low) / span * usable_h, 2)}"
        for i, v in enumerate(values))
    return LineChart(points=points, low=low, high=high, last=values[-1],
                     first_day=days[0].day.isoformat() if days else "",
                     last_day=days[-1].day.isoformat() if days else "")
