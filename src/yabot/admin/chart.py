"""The events-per-minute chart as plain numbers for an inline SVG (no script, no CDN)."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT, PAD = 600, 160, 24


@dataclass(frozen=True, kw_only=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int
    minutes_ago: int


@dataclass(frozen=True, kw_only=True)
class Chart:
    bars: list[Bar]
    peak: int
    total: int
    width: int = WIDTH
    height: int = HEIGHT
    pad: int = PAD


def bar_chart(counts: list[int]) -> Chart:
    """One bar per minute, oldest on the left, scaled to the busiest minute."""
    peak = max(counts, default=0)
    n = max(1, len(counts))
    slot = (WIDTH - 2 * PAD) / n
    usable = HEIGHT - 2 * PAD
    bars = []
    for i, count in enumerate(counts):
        h = (count / peak) * usable if peak else 0.0
        bars.append(Bar(x=round(PAD + i * slot + slot * 0.1, 2),
                        y=round(HEIGHT - PAD - h, 2), width=round(slot * 0.8, 2),
                        height=round(h, 2), count=count, minutes_ago=n - i))
    return Chart(bars=bars, peak=peak, total=sum(counts))
