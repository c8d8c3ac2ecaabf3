"""Webhook throughput and latency: from the webhook POST to the bot's reply at the Bot API.

    .venv/bin/python benchmarks/webhook.py [--n 400] [--concurrency 16]

YABOT (`yabot run`, webhook mode, SQLite in a temp dir, in-process events) is measured for
/start, a story choice (fragment_001 → forest_001) and a reaction (reply: the besitos
notice, after the bus and the coordinator). The ceiling, in the same run, is a bare aiogram
webhook bot on the same ASGI server (uvicorn) answering /start at once. The load generator
runs in its own process; the fake Bot API runs here and timestamps each reply
(CLOCK_MONOTONIC is shared by every process). Prints, never asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from webhook_parts import SECRET, TOKEN, ReplySink, bare_main, loadgen_main

PHASES = {"start": "Bienvenida", "choice": "El Bosque Susurrante", "reaction": "besitos"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_live(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError as exc:
            if getattr(exc, "code", None):  # an HTTP error: the server answers
                return
            time.sleep(0.2)
    raise SystemExit("server did not start")


def run_phase(sink: ReplySink, hook: str, kind: str, first_id: int, uid0: int, n: int,
              concurrency: int, needle: str, rate: float = 0) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--loadgen", hook, kind, str(first_id),
                          str(uid0), str(n), str(concurrency), str(rate)],
                         capture_output=True, check=True)
    sent = {int(k): v for k, v in json.loads(out.stdout).items()}
    deadline = time.monotonic() + 120
    latencies: dict[int, float] = {}
    waiting = dict(sent)  # a reaction brings two messages (notice, first achievement):
    while waiting and time.monotonic() < deadline:  # wait for each user's own reply
        for uid, at in list(waiting.items()):
            if (got := sink.first_after(uid, at, needle)) is not None:
                latencies[uid] = got - at
                del waiting[uid]
        time.sleep(0.2)
    ends = [sent[u] + lat for u, lat in latencies.items()]
    values = sorted(latencies.values())
    span = max(ends) - min(sent.values())
    return {"n": len(values), "lost": n - len(values), "per_s": len(values) / span,
            "p50_ms": statistics.median(values) * 1000,
            "p99_ms": values[min(len(values) - 1, int(len(values) * 0.99))] * 1000}


def line(name: str, r: dict[str, float], ceiling: float | None = None) -> str:
    ratio = f"  {r['per_s'] / ceiling:5.1%} of ceiling" if ceiling else ""
    return (f"{name:<22} {r['per_s']:8.0f} updates/s  p50 {r['p50_ms']:7.1f} ms  "
            f"p99 {r['p99_ms']:7.1f} ms  n={r['n']:.0f} lost={r['lost']:.0f}{ratio}")


def yabot_phases(args: argparse.Namespace, sink: ReplySink, tmp: Path, label: str, src: str,
                 *, uid_base: int) -> dict[str, dict[str, float]]:
    """`yabot run` (from `src`/src when given: another worktree's code) through every phase."""
    tmp.mkdir(parents=True)
    results: dict[str, dict[str, float]] = {}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("BOT_", "WEBHOOK_", "REDIS_", "MONGODB_", "DATABASE_URL",
                                "API_", "LOG_", "SQLITE_"))}
    env.update(BOT_TOKEN=TOKEN, BOT_MODE="webhook", TELEGRAM_API_URL=sink.url,
               WEBHOOK_BASE_URL=base, WEBHOOK_SECRET=SECRET, API_PORT=str(port),
               SQLITE_DATABASE_PATH=str(tmp / "yabot.db"), LOG_LEVEL="WARNING",
               TELEGRAM_SEND_RATE=args.send_rate)
    if src:
        env["PYTHONPATH"] = str(Path(src) / "src")
    env.update(dict(kv.split("=", 1) for kv in args.env))
    yabot = subprocess.Popen([sys.executable, "-m", "yabot", "run"], cwd=tmp, env=env,
                             stdout=subprocess.DEVNULL)
    try:
        wait_live(base + "/health/live", yabot)
        hook = base + "/telegram/webhook"
        run_phase(sink, hook, "start", 1, uid_base + 900_000, 50, args.concurrency,
                  "Bienvenida")
        spy = None if not args.py_spy or src else subprocess.Popen(
            [shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy",
             "record", "--format", "raw", "--rate", "200", "--nonblocking", "--gil",
             "-o", args.py_spy, "-p", str(yabot.pid)], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        for offset, (kind, needle) in enumerate(PHASES.items()):
            if kind not in args.phases.split(","):
                continue
            results[f"{label} {kind}"] = run_phase(
                sink, hook, kind, 10_000 + offset * args.n, uid_base + 2_000_000, args.n,
                args.concurrency, needle)
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(60)
        for offset, (kind, needle) in enumerate(PHASES.items()):  # paced, new users
            results[f"{label} {kind} @{args.paced:g}/s"] = run_phase(
                sink, hook, kind, 50_000 + offset * 100, uid_base + 3_000_000, 100,
                args.concurrency, needle, args.paced)
    finally:
        yabot.send_signal(signal.SIGTERM)
        yabot.wait(60)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--paced", type=float, default=10.0,
                        help="updates/s of the paced pass (latency below saturation)")
    parser.add_argument("--send-rate", default="100000",
                        help="YABOT's TELEGRAM_SEND_RATE: the fake Bot API has no limit and "
                             "the bare bot does not pace, so the default does not pace either")
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for yabot")
    parser.add_argument("--phases", default=",".join(PHASES), help="saturated phases to run")
    parser.add_argument("--before", default="",
                        help="also run YABOT from this worktree's src/ first (same run, same "
                             "ceiling): a before/after comparison")
    parser.add_argument("--py-spy", default="",
                        help="record YABOT's saturated phases with py-spy into this file "
                             "(collapsed stacks; see benchmarks/profile_summary.py)")
    args = parser.parse_args()
    sink, tmp = ReplySink(), Path(tempfile.mkdtemp(prefix="yabot-bench-webhook-"))
    results: dict[str, dict[str, float]] = {}
    try:
        port = free_port()
        bare = subprocess.Popen([sys.executable, __file__, "--bare", str(port), sink.url])
        try:
            wait_live(f"http://127.0.0.1:{port}/", bare)
            hook = f"http://127.0.0.1:{port}/telegram/webhook"
            run_phase(sink, hook, "start", 1, 900_000, 50, args.concurrency, "Bienvenida")
            results["bare aiogram /start"] = run_phase(
                sink, hook, "start", 1000, 1_000_000, args.n, args.concurrency, "Bienvenida")
            results[f"bare /start @{args.paced:g}/s"] = run_phase(
                sink, hook, "start", 5000, 1_100_000, 100, args.concurrency, "Bienvenida",
                args.paced)
        finally:
            bare.send_signal(signal.SIGTERM)
            bare.wait(30)
        trees = [("before", args.before)] if args.before else []
        for index, (label, src) in enumerate([*trees, ("yabot", "")]):
            results.update(yabot_phases(args, sink, tmp / label, label, src,
                                        uid_base=index * 10_000_000))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ceiling = results["bare aiogram /start"]["per_s"]
    print(f"webhook benchmark: n={args.n} per saturated phase (concurrency "
          f"{args.concurrency}), 100 per paced phase at {args.paced:g} updates/s, "
          f"TELEGRAM_SEND_RATE={args.send_rate}")
    for name, r in results.items():
        paced = "@" in name
        print(line(name, r, None if name.startswith("bare") or paced else ceiling))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--loadgen"]:
        loadgen_main(sys.argv[2:])
    elif sys.argv[1:2] == ["--bare"]:
        bare_main(sys.argv[2:])
    else:
        main()
