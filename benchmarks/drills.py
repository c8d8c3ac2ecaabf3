"""Fault drills over the whole product: load from simulated users, one fault, then counts.

    .venv/bin/python benchmarks/drills.py [DRILL ...] [--rate 25] [--users 10000]
        [--seconds 90] [--fault-at 20] [--out docs/drills.json]

Each drill starts its own stores and `yabot run` process(es) (loopback only, temp dirs, a
private PostgreSQL cluster and Redis where needed), registers the users, sends the
benchmarks/load.py mix at `--rate` updates/s, injects its fault at `--fault-at` s, and
after the load waits for recovery. It reports: updates acknowledged (200) and lost (not
done), dead-lettered, replies missing, duplicated replies (deliveries beyond the queue's
sent rows), the ledger's balance, and the time from the fault's end to a healthy
`/health/ready` and to a drained backlog. `--target naive` runs the Redis drills against
the naive baseline instead (its losses are replies that never came). Prints, never asserts.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from drill_checks import Probe, lost_updates
from drill_faults import DRILLS, Drill
from load import base_config, generate, match, settle
from load_env import Backend, Baseline, Sink, Yabot, cleanup, http_status, import_users


class Timeline(threading.Thread):
    """Samples replies delivered, backlog and readiness every half second."""

    def __init__(self, sink: Sink, probe: Probe | None, bases: list[str]) -> None:
        super().__init__(daemon=True)
        self.sink, self.probe, self.bases = sink, probe, bases
        self.points: list[dict[str, Any]] = []
        self.running = True

    def run(self) -> None:
        while self.running:
            at = time.monotonic()
            try:
                replies = len(self.sink.records())
            except OSError:
                replies = None
            self.points.append({"t": at, "replies": replies,
                                "backlog": self.probe.backlog() if self.probe else None,
                                "ready": [http_status(b + "/health/ready") for b in self.bases]})
            time.sleep(max(0.0, 0.5 - (time.monotonic() - at)))


def recovery(points: list[dict[str, Any]], fault: tuple[float, float], load_end: float
             ) -> dict[str, float | None]:
    """Seconds from the fault's end to every process ready, and to the backlog drained
    (back to its level before the fault, or empty after the load)."""
    fault_start, fault_end = fault
    before = [p["backlog"] for p in points if p["t"] < fault_start and p["backlog"] is not None]
    normal = max(5, sorted(before)[int(len(before) * 0.95)] if before else 0)
    ready = next((p["t"] - fault_end for p in points
                  if p["t"] >= fault_end and all(s == 200 for s in p["ready"])), None)
    drained = next((p["t"] - fault_end for p in points if p["t"] >= fault_end
                    and all(s == 200 for s in p["ready"]) and p["backlog"] is not None
                    and (p["backlog"] <= normal if p["t"] < load_end else p["backlog"] == 0)),
                   None)
    return {"ready_s": None if ready is None else round(ready, 1),
            "drained_s": None if drained is None else round(drained, 1)}


def run_drill(drill: Drill, args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix=f"yabot-drill-{drill.name}-"))
    sink = Sink(tmp).start()
    backend = Backend(drill.backend, tmp, private_pg=drill.private_pg, mongo=drill.mongo)
    backend.start()
    naive = args.target == "naive"
    procs: list[Any] = ([Baseline("naive", tmp, sink, backend)] if naive else
                        [Yabot(tmp, sink, backend, drill.env) for _ in range(drill.processes)])
    try:
        if not naive:
            import_users(procs[0], tmp, args.users, 6_000_000)
        for proc in procs:
            proc.start()
        probe = None if naive else Probe(backend)
        registered = list(range(6_000_000, 6_000_000 + args.users))
        # the import's user_registered events go through the bus first: start from quiet
        deadline = time.monotonic() + 900
        while probe is not None and probe.backlog() != 0 and time.monotonic() < deadline:
            time.sleep(1)
        mark = len(sink.records())
        sent_before = probe.sent_messages() if probe else 0
        timeline = Timeline(sink, probe, [p.base for p in procs])
        timeline.start()
        cfg = {**base_config(procs, args.users, 6_000_000), "rate": args.rate,
               "seconds": args.seconds, "registered": registered,
               "first_update_id": 1 + args.users, "seed": 7, "redeliver": 300,
               "max_in_flight": 1024}
        result: dict[str, Any] = {}
        loader = threading.Thread(target=lambda: result.update(generate(cfg)[0]))
        loader.start()
        time.sleep(args.fault_at)
        fault_start = time.monotonic()
        drill.inject(backend, procs, sink, args)
        fault_end = time.monotonic()
        loader.join()
        load_end = time.monotonic()
        deadline = load_end + 300
        while time.monotonic() < deadline and not (
                all(http_status(p.base + "/health/ready") == 200 for p in procs)
                and (probe is None or probe.backlog() == 0)):
            time.sleep(0.5)
        records = settle(sink, mark, quiet=3.0, limit=60.0)
        timeline.running = False
        timeline.join()
        matched = match(result["sent"], records)
        report: dict[str, Any] = {
            "drill": drill.name, "target": args.target, "fault": drill.fault,
            "fault_s": round(fault_end - fault_start, 1), "offered": args.rate,
            "users": args.users, "no_reply": matched["missing"],
            "no_reply_by_kind": matched["missing_by_kind"],
            **recovery(timeline.points, (fault_start, fault_end), load_end),
        }
        if probe is not None:
            first = 1 + args.users
            statuses = probe.statuses(first, first + int(args.rate * args.seconds) + 10)
            report.update(lost_updates(result["sent"], statuses))
            report["duplicated_replies"] = max(0, len(records) - (probe.sent_messages()
                                                                   - sent_before))
            report["ledger"] = probe.ledger()
            report["dead_letters"] = probe.dead_letters()
        else:
            report["accepted"] = sum(1 for s in result["sent"] if s[4] == 200)
            report["lost"] = matched["missing"]
        t0 = timeline.points[0]["t"] if timeline.points else fault_start
        report["timeline"] = [{"t": round(p["t"] - t0, 2), "replies": p["replies"],
                               "backlog": p["backlog"], "ready": p["ready"]}
                              for p in timeline.points]
        report["fault_window"] = [round(fault_start - t0, 2), round(fault_end - t0, 2)]
        return report
    finally:
        cleanup(tmp, *procs, sink, backend, keep=args.keep)


def summary(r: dict[str, Any]) -> str:
    ledger = r.get("ledger", {})
    balanced = "n/a" if not ledger else ("ok" if not any(ledger.values()) else str(ledger))
    return (f"{r['drill']:<16} {r['target']:<6} accepted {r.get('accepted', 0):>6}  "
            f"lost {r.get('lost', 0):>4}  dead-lettered {r.get('failed', 0):>3}  "
            f"no reply {r['no_reply']:>4}  dup replies {r.get('duplicated_replies', 0):>3}  "
            f"ledger {balanced}  ready {r['ready_s']}s  drained {r['drained_s']}s  "
            f"dead letters {r.get('dead_letters', {})}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("drills", nargs="*", default=list(DRILLS))
    parser.add_argument("--target", choices=["yabot", "naive"], default="yabot")
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--fault-at", type=float, default=20.0)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    reports = []
    for name in args.drills:
        report = run_drill(DRILLS[name], args)
        print(summary(report), flush=True)
        reports.append(report)
        if args.out:
            args.out.write_text(json.dumps(reports, indent=1))


if __name__ == "__main__":
    main()
