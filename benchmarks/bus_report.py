"""The table benchmarks/bus.py prints, and the targets of issue 10 (docs/benchmarks.md)."""

from __future__ import annotations

import argparse

from bus_load import Results, load, pct

TARGET_CONFIG = "YABOT redis/sqlite"
PUB_TARGET_MS, E2E_TARGET_MS, RATE_RATIO, CONSUME_RATIO = 1.0, 10.0, 0.95, 4.0


def cell(r: Results, key: str) -> str:
    if key not in r:
        return "-"
    if isinstance(r[key], list):
        return f"{pct(r[key], 0.5):.2f} / {pct(r[key], 0.99):.2f}"
    return f"{r[key]:,.0f}"


def rows(a: argparse.Namespace) -> list[tuple[str, str]]:
    out = [("publish back to back, p50 / p99 ms", "pub")]
    for mode, name in (("seq", "sequential"), ("conc", f"{a.tasks} tasks")):
        for rate in a.rates:
            out += [(f"{name} @{rate:,}/s: publish p50 / p99 ms", f"{mode}:pub@{rate}"),
                    (f"{name} @{rate:,}/s: publish -> handler ms", f"{mode}:e2e@{rate}"),
                    (f"{name} @{rate:,}/s: rate achieved", f"{mode}:rate@{rate}")]
    return [*out, (f"highest rate sustained ({a.tasks} tasks), /s", "max"),
            (f"consume {a.n:,} pre-filled, events/s", "consume"),
            ("relay outbox -> streams, events/s", "relay")]


def report(res: dict[str, Results], a: argparse.Namespace) -> None:
    names = list(res)
    width = max(16, *(len(n) - 4 for n in names))
    print(f"\n{'':44}" + "".join(f"{n.removeprefix('YABOT '):>{width}}" for n in names))
    for label, key in rows(a):
        print(f"{label:44}" + "".join(f"{cell(res[n], key):>{width}}" for n in names))
    print("\nraw redis-py: sequential XADD; XREADGROUP COUNT 100 + one XACK per batch (the limit)\n"
          "faststream:   StreamSub(group, consumer) defaults: one XACK per message\n"
          "memory/*, redis/*: YABOT's EventBus on that transport and relational backend")
    fs, yb = res["faststream"], res.get(TARGET_CONFIG)
    if yb is None:
        return
    top, low = max(a.rates), min(a.rates)
    print(f"\ntargets ({TARGET_CONFIG}, this run; load average now {load()}):")
    for mode in ("conc", "seq"):
        ratio = yb[f"{mode}:rate@{top}"] / fs[f"{mode}:rate@{top}"]
        _verdict(f"{mode} rate at {top:,}/s offered / faststream's", ratio, RATE_RATIO,
                 higher=True, unit="x")
    for mode in ("conc", "seq"):
        _verdict(f"{mode} publish -> handler p99 at {top:,}/s",
                 pct(yb[f"{mode}:e2e@{top}"], 0.99), E2E_TARGET_MS)
    _verdict(f"seq publish p99 at {low:,}/s, bus running", pct(yb[f"seq:pub@{low}"], 0.99),
             PUB_TARGET_MS)
    _verdict("consume of a backlog / faststream's", yb["consume"] / fs["consume"],
             CONSUME_RATIO, higher=True, unit="x")


def _verdict(what: str, value: float, target: float, *, higher: bool = False,
             unit: str = " ms") -> None:
    met = value >= target if higher else value <= target
    sign = ">=" if higher else "<="
    print(f"  {what:52} {value:8.2f}{unit}  (target {sign} {target}{unit}) "
          f"{'met' if met else 'NOT met'}")
