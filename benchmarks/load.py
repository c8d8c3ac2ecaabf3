"""Load test: 10,000 simulated users over HTTP at stepped rates until saturation.

    .venv/bin/python benchmarks/load.py [--target yabot|bare|naive]
        [--backend embedded|pg-redis] [--processes 1]
        [--users 10000] [--rates 25,50,100,200,400] [--step-seconds 20] [--out FILE.json]

`yabot run` (webhook mode) against a fake Bot API in its own process; the load generator
(benchmarks/load_users.py) is another process per step. The mix: /start, story choices,
the story menu, reactions (reply: the besitos notice, after the bus), /besitos, and
internal API reads (GET besitos with a JWT). The users are registered first by
`yabot users import` (YABOT) and the run starts once its events are through; `--target
bare|naive` drives the baselines of benchmarks/baselines.py instead. For each step:
offered and achieved updates/s, p50/p99 from the webhook POST to the reply at the fake Bot
API, API p99, errors, and CPU and RSS per process. Prints, never asserts; stops after the
first saturated step.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from drill_checks import Probe
from load_env import (
    HERE,
    JWT_SECRET,
    SECRET,
    Backend,
    Baseline,
    Sink,
    Yabot,
    cleanup,
    http_status,
    import_users,
    proc_sample,
)
from load_users import DEFAULT_MIX

REPLYING = {"start", "choice", "menu", "reaction", "besitos"}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def generate(cfg: dict[str, Any]) -> tuple[dict[str, Any], tuple[float, float]]:
    """Run the load generator process; returns its records and its (CPU s, RSS MB)."""
    with tempfile.TemporaryFile() as out:  # not a pipe: a big result would fill it and hang
        proc = subprocess.Popen([sys.executable, str(HERE / "load_users.py"), json.dumps(cfg)],
                                stdout=out)
        cpu_rss = (0.0, 0.0)
        while proc.poll() is None:
            try:
                cpu_rss = proc_sample(proc.pid)
            except (FileNotFoundError, ProcessLookupError):
                break
            time.sleep(0.5)
        proc.wait()
        out.seek(0)
        return json.loads(out.read()), cpu_rss


def settle(sink: Sink, after: int, quiet: float = 2.0, limit: float = 30.0) -> list[list[Any]]:
    """Sink records from `after` on, once no new reply came for `quiet` seconds."""
    deadline, seen, since = time.monotonic() + limit, -1, time.monotonic()
    while time.monotonic() < deadline:
        count = len(sink.records(after))
        if count != seen:
            seen, since = count, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
        time.sleep(0.3)
    return sink.records(after)


def match(sent: list[list[Any]], records: list[list[Any]]) -> dict[str, Any]:
    """Each update's reply: the first unclaimed message to its chat sent after it."""
    by_chat: dict[int, list[float]] = {}
    for chat, at, _method, _text in records:
        by_chat.setdefault(int(chat), []).append(float(at))
    latencies, missing, errors = [], 0, 0
    missing_by_kind: dict[str, int] = {}
    for _uid, kind, uid, at, status, _done in sorted(sent, key=lambda s: s[3]):
        if status != 200:
            errors += 1
            continue
        if kind not in REPLYING:
            continue
        queue = by_chat.get(int(uid), [])
        while queue and queue[0] < at:
            queue.pop(0)
        if queue:
            latencies.append(queue.pop(0) - at)
        else:
            missing += 1
            missing_by_kind[kind] = missing_by_kind.get(kind, 0) + 1
    return {"latencies": latencies, "missing": missing, "errors": errors,
            "missing_by_kind": missing_by_kind}


def run_step(sink: Sink, yabots: list[Any], cfg: dict[str, Any]) -> dict[str, Any]:
    before = [proc_sample(y.proc.pid) for y in yabots if y.proc]
    sink_before = proc_sample(sink.proc.pid) if sink.proc else (0.0, 0.0)
    mark = len(sink.records())
    result, gen_cpu = generate(cfg)
    records = settle(sink, mark)
    after = [proc_sample(y.proc.pid) for y in yabots if y.proc]
    sink_after = proc_sample(sink.proc.pid) if sink.proc else (0.0, 0.0)
    matched = match(result["sent"], records)
    lat = matched["latencies"]
    wall = max(1e-9, (max((r[1] for r in records), default=result["ended"])) - result["began"])
    api_lat = [a[1] for a in result["api"] if a[1] is not None and a[2] == 200]
    api_err = sum(1 for a in result["api"] if a[2] != 200)
    return {
        "offered": cfg["rate"], "sent": len(result["sent"]), "late": result["late"],
        # the webhook's share of the offered rate (the rest are API reads, which get no reply)
        "offered_updates": len(result["sent"]) / max(1e-9, float(cfg["seconds"])),
        "achieved": len(lat) / wall, "p50_ms": statistics.median(lat) * 1000 if lat else None,
        "p99_ms": pct(lat, 0.99) * 1000, "api_n": len(api_lat), "api_p99_ms":
        pct(api_lat, 0.99) * 1000, "errors": matched["errors"] + api_err,
        "no_reply": matched["missing"], "wall_s": wall,
        "yabot_cpu": [(a[0] - b[0]) / wall for a, b in zip(after, before, strict=True)],
        "yabot_rss_mb": [a[1] for a in after], "sink_cpu": (sink_after[0] - sink_before[0]) / wall,
        "loadgen_cpu": gen_cpu[0] / wall, "registered": result["registered"],
    }


def line(r: dict[str, Any]) -> str:
    cpu = "+".join(f"{c:.0%}" for c in r["yabot_cpu"])
    rss = "+".join(f"{m:.0f}" for m in r["yabot_rss_mb"])
    p50 = f"{r['p50_ms']:8.1f}" if r["p50_ms"] is not None else "     n/a"
    return (f"{r['offered']:>8.0f} {r['achieved']:9.1f} {p50} {r['p99_ms']:9.1f} "
            f"{r['api_p99_ms']:9.1f} {r['errors']:>6} {r['no_reply']:>8} {cpu:>10} {rss:>9} "
            f"{r['sink_cpu']:>6.0%} {r['loadgen_cpu']:>7.0%}")


HEADER = (f"{'offered':>8} {'upd/s':>9} {'p50 ms':>8} {'p99 ms':>9} {'API p99':>9} "
          f"{'errors':>6} {'no reply':>8} {'yabot CPU':>10} {'RSS MB':>9} {'sink':>6} "
          f"{'loadgen':>7}")


def wait_quiet(procs: list[Any], probe: Probe | None, timeout: float = 900) -> None:
    """Until every process is ready and the backlog is empty (the import's events are out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(http_status(p.base + "/health/ready") == 200 for p in procs) and (
                probe is None or probe.backlog() == 0):
            return
        time.sleep(1)


def base_config(yabots: list[Any], users: int, uid0: int) -> dict[str, Any]:
    """The load generator's settings; baselines have no internal API, so no API reads."""
    baseline = any(isinstance(y, Baseline) for y in yabots)
    mix = {k: v for k, v in DEFAULT_MIX.items() if k != "api"} if baseline else DEFAULT_MIX
    return {"hooks": [y.base + "/telegram/webhook" for y in yabots],
            "apis": [y.base for y in yabots], "secret": SECRET, "jwt_secret": JWT_SECRET,
            "uid0": uid0, "users": users, "think": 2.0, "mix": mix}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", choices=["yabot", "bare", "naive"], default="yabot")
    parser.add_argument("--backend", choices=["embedded", "pg-redis"], default="embedded")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--rates", default="25,50,100,200,400,800")
    parser.add_argument("--step-seconds", type=float, default=20)
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for yabot")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, db)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="yabot-load-"))
    extra = dict(item.split("=", 1) for item in args.env)
    sink, backend = Sink(tmp).start(), Backend(args.backend, tmp).start()
    yabots: list[Any] = [Yabot(tmp, sink, backend, extra) if args.target == "yabot"
                         else Baseline(args.target, tmp, sink, backend)
                         for _ in range(args.processes)]
    steps: list[dict[str, Any]] = []
    try:
        if args.target == "yabot":  # the population first, as an operator migrates it
            began = time.monotonic()
            import_users(yabots[0], tmp, args.users, 5_000_000)
            print(f"registration: {args.users} users by `yabot users import` in "
                  f"{time.monotonic() - began:.1f} s")
        for y in yabots:
            y.start()
        wait_quiet(yabots, Probe(backend) if args.target == "yabot" else None)
        registered, next_id = list(range(5_000_000, 5_000_000 + args.users)), 1
        print(f"{args.target} on {args.backend}, {args.processes} process(es), {args.users} users, "
              f"{args.step_seconds:g} s per step\n{HEADER}")
        for rate in (float(r) for r in args.rates.split(",")):
            cfg = {**base_config(yabots, args.users, 5_000_000), "rate": rate,
                   "seconds": args.step_seconds, "registered": registered,
                   "first_update_id": next_id, "seed": int(rate)}
            step = run_step(sink, yabots, cfg)
            next_id += int(rate * args.step_seconds) + 1
            steps.append({k: v for k, v in step.items() if k != "registered"})
            print(line(step), flush=True)
            if step["achieved"] < 0.8 * step["offered_updates"] or step["p99_ms"] > 10_000:
                print(f"saturated at {rate:g} updates/s offered")
                break
        if args.out:
            args.out.write_text(json.dumps({"target": args.target, "backend": args.backend,
                                            "processes":
                                            args.processes, "users": args.users,
                                            "steps": steps}, indent=1))
    finally:
        cleanup(tmp, *yabots, sink, backend, keep=args.keep)


if __name__ == "__main__":
    main()
