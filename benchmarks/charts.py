"""PNG charts under docs/ from the JSON that load.py and drills.py write (`--out`).

    .venv/bin/python benchmarks/charts.py latency RUN.json [RUN.json ...] --png docs/x.png
    .venv/bin/python benchmarks/charts.py drills DRILLS.json --png docs/drills.png

`latency`: p50 and p99 from update to reply against the offered rate, one line per run
(YABOT embedded, YABOT on PostgreSQL + Redis, bare aiogram, naive). `drills`: one panel
per drill, replies delivered per second and the backlog against time, the fault shaded.
Needs the `bench` extra (matplotlib): `make bench` installs it.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def label(run: dict[str, Any]) -> str:
    if run.get("target", "yabot") != "yabot":
        return {"bare": "bare aiogram", "naive": "naive (Pub/Sub, no outbox)"}[run["target"]]
    procs = f", {run['processes']} processes" if run.get("processes", 1) > 1 else ""
    return f"YABOT {'embedded' if run['backend'] == 'embedded' else 'PostgreSQL + Redis'}{procs}"


def latency_chart(runs: list[dict[str, Any]], png: Path) -> None:
    fig, (ax50, ax99) = plt.subplots(1, 2, figsize=(11, 4.2), sharex=True)
    for run in runs:
        steps = [s for s in run["steps"] if s.get("p50_ms") is not None]
        offered = [s["offered"] for s in steps]
        ax50.plot(offered, [s["p50_ms"] for s in steps], marker="o", label=label(run))
        ax99.plot(offered, [s["p99_ms"] for s in steps], marker="o", label=label(run))
    for ax, name in ((ax50, "p50"), (ax99, "p99")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("offered updates/s")
        ax.set_ylabel(f"{name} update → reply (ms)")
        ax.grid(True, which="both", alpha=0.3)
    ax99.legend(fontsize=8)
    fig.suptitle("Latency against offered rate (benchmarks/load.py, one machine, 2 cores)")
    fig.tight_layout()
    fig.savefig(png, dpi=110)


def drills_chart(reports: list[dict[str, Any]], png: Path) -> None:
    cols = 2
    rows = (len(reports) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(11, 3.0 * rows), squeeze=False)
    for ax, report in zip((a for row in axes for a in row), reports, strict=False):
        points = report["timeline"]
        times = [p["t"] for p in points]
        rates = [0.0] + [max(0.0, ((b["replies"] or 0) - (a["replies"] or 0)) / (b["t"] - a["t"]))
                         for a, b in itertools.pairwise(points)]
        ax.plot(times, rates, label="replies/s", color="tab:blue")
        ax.axvspan(*report["fault_window"], color="tab:red", alpha=0.15, label="fault")
        twin = ax.twinx()
        twin.plot(times, [p["backlog"] if p["backlog"] is not None else float("nan")
                          for p in points], color="tab:orange", label="backlog")
        twin.set_ylabel("backlog", color="tab:orange", fontsize=8)
        ax.set_title(f"{report['drill']} ({report['target']}): lost {report.get('lost', 0)}, "
                     f"dup {report.get('duplicated_replies', 0)}", fontsize=9)
        ax.set_xlabel("s", fontsize=8)
        ax.set_ylabel("replies/s", color="tab:blue", fontsize=8)
    for ax in [a for row in axes for a in row][len(reports):]:
        ax.axis("off")
    fig.suptitle("Fault drills: replies delivered and backlog (benchmarks/drills.py)")
    fig.tight_layout()
    fig.savefig(png, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["latency", "drills"])
    parser.add_argument("inputs", nargs="+", type=Path)
    parser.add_argument("--png", type=Path, required=True)
    args = parser.parse_args()
    loaded = [json.loads(p.read_text()) for p in args.inputs]
    if args.kind == "latency":
        latency_chart(loaded, args.png)
    else:
        drills_chart([r for batch in loaded for r in batch], args.png)
    print(f"wrote {args.png}")


if __name__ == "__main__":
    main()
