"""Internal API latency under fixed-rate load, over real HTTP with keep-alive connections.

    .venv/bin/python benchmarks/api.py [--users 1000] [--seconds 8] \
        [--rates 100,250,500,750,1000,1500] [--connections 32]

One `yabot run` server process (embedded default, HS256) in a temp dir; the load comes from
a separate process (this script with --client): an open-loop generator that schedules
requests at a fixed rate and hands them to persistent HTTP/1.1 connections. Latency runs
from the *scheduled* send time to the last byte of the answer, so queueing counts (no
coordinated omission). Scenarios: GET /user/{id}/state, PUT /user/{id}/preferences, and a
50/50 mix. Also the server's CPU time per request (from /proc), which depends far less on
what else the machine runs than latency does. Prints, never asserts (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import jwt

SECRET = "bench-secret-0123456789abcdef-0123456789"
BASE_ID, TARGET_MS, SEED_MS, WARMUP_S = 700_000, 20.0, 200.0, 1.0
SCENARIOS = ("state", "preferences", "mixed")


def token() -> str:
    now = int(time.time())
    return jwt.encode({"iss": "yabot-api", "aud": "yabot-internal", "sub": "bench", "iat": now,
                       "exp": now + 3600, "scope": ["read", "write"]}, SECRET, algorithm="HS256")


def request_bytes(kind: str, uid: int, auth: str, i: int) -> bytes:
    head = f"Host: bench\r\nAuthorization: Bearer {auth}\r\n"
    if kind == "state":
        return f"GET /api/v1/user/{uid}/state HTTP/1.1\r\n{head}\r\n".encode()
    body = json.dumps({"theme": "dark" if i % 2 else "light"}).encode()
    return (f"PUT /api/v1/user/{uid}/preferences HTTP/1.1\r\n{head}Content-Type: "
            f"application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run_step(port: int, scenario: str, rate: int, seconds: float, users: int,
                   connections: int, server_pid: int) -> dict[str, Any]:
    auth, queue = token(), asyncio.Queue[tuple[float, str, int, int] | None]()
    samples: list[tuple[float, float, int]] = []  # (scheduled, latency, status)

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while (item := await queue.get()) is not None:
            scheduled, kind, uid, i = item
            writer.write(request_bytes(kind, uid, auth, i))
            status = await read_response(reader)
            samples.append((scheduled, time.perf_counter() - scheduled, status))
        writer.close()

    cpu_before = cpu_seconds(server_pid)
    workers = [asyncio.create_task(connection()) for _ in range(connections)]
    total, start = int(rate * seconds), time.perf_counter() + 0.05
    for i in range(total):
        due = start + i / rate
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        kind = scenario if scenario != "mixed" else ("state", "preferences")[i % 2]
        queue.put_nowait((due, kind, BASE_ID + random.randrange(users), i))
    for _ in workers:
        queue.put_nowait(None)
    _done, pending = await asyncio.wait(workers, timeout=30)
    for task in pending:
        task.cancel()
    cpu = cpu_seconds(server_pid) - cpu_before
    end = max((s + lat for s, lat, _ in samples), default=start)
    kept = sorted(lat for s, lat, st in samples if s >= start + WARMUP_S)
    window = [s for s, _, _ in samples if s >= start + WARMUP_S]
    errors = sum(1 for _, _, st in samples if st >= 400)

    def pct(p: float) -> float:
        return kept[min(len(kept) - 1, int(p * len(kept)))] * 1000 if kept else float("nan")

    achieved = len(window) / max(end - (start + WARMUP_S), 1e-9)
    return {"scenario": scenario, "rate": rate, "achieved": round(achieved),
            "sent": total, "answered": len(samples), "errors": errors,
            "p50_ms": round(pct(0.50), 2), "p99_ms": round(pct(0.99), 2),
            "max_ms": round(kept[-1] * 1000, 1) if kept else None,
            "cpu_ms": round(cpu * 1000 / max(len(samples), 1), 3)}


def client_main(config: dict[str, Any]) -> None:
    for rate in config["rates"]:
        for scenario in config["scenarios"]:
            result = asyncio.run(run_step(config["port"], scenario, rate, config["seconds"],
                                          config["users"], config["connections"],
                                          config["server_pid"]))
            print(json.dumps(result), flush=True)


async def seed(users: int) -> None:
    from yabot.core import start_core, stop_core
    from yabot.domain.views import TelegramUser
    from yabot.settings import load_settings

    services = await start_core(load_settings())
    for i in range(users):
        await services.domain.users.create_user(TelegramUser(id=BASE_ID + i, first_name="B"))
    await stop_core(services)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sustainable(rows: list[dict[str, Any]], scenario: str, bound_ms: float) -> int | None:
    ok = [r["rate"] for r in rows if r["scenario"] == scenario and r["errors"] == 0
          and r["answered"] == r["sent"] and r["achieved"] >= 0.97 * r["rate"]
          and r["p99_ms"] <= bound_ms]
    return max(ok) if ok else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rates", default="100,250,500,750,1000,1500")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client_main(json.loads(args.client))
        return
    work = Path(tempfile.mkdtemp(prefix="yabot-bench-api-"))
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(
        ("API_", "JWT_", "REDIS_", "MONGODB_", "DATABASE_URL", "BOT_", "LOG_"))},
           "SQLITE_DATABASE_PATH": str(work / "data" / "yabot.db"), "JWT_ALGORITHM": "HS256",
           "JWT_SECRET": SECRET, "API_PORT": str(free_port()), "LOG_LEVEL": "WARNING"}
    os.environ.update(env)
    asyncio.run(seed(args.users))
    port = int(env["API_PORT"])
    log = (work / "server.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "yabot", "run"], cwd=work, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        config = {"port": port, "rates": [int(r) for r in args.rates.split(",")],
                  "seconds": args.seconds, "users": args.users,
                  "connections": args.connections, "scenarios": SCENARIOS,
                  "server_pid": server.pid}
        out = subprocess.run([sys.executable, __file__, "--client", json.dumps(config)],
                             capture_output=True, text=True, check=True).stdout
    finally:
        if server.poll() is not None:
            print(f"server exited early ({server.returncode}); see {work / 'server.log'}")
        server.terminate()
        server.wait(30)
        log.close()
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    print(f"load {os.getloadavg()[0]:.1f}; {args.users} users; {args.connections} "
          f"keep-alive connections; {args.seconds:.0f} s per step (first {WARMUP_S:.0f} s "
          "not counted)\n")
    print("| scenario | offered req/s | achieved req/s | p50 ms | p99 ms | max ms | errors "
          "| server CPU ms/req |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['scenario']} | {r['rate']} | {r['achieved']} | {r['p50_ms']} | "
              f"{r['p99_ms']} | {r['max_ms']} | {r['errors'] + r['sent'] - r['answered']} "
              f"| {r['cpu_ms']} |")
    print()
    for scenario in SCENARIOS:
        cpu = [r["cpu_ms"] for r in rows if r["scenario"] == scenario and r["answered"]]
        if cpu:
            print(f"{scenario}: median server CPU {sorted(cpu)[len(cpu) // 2]} ms/request "
                  f"= {1000 / sorted(cpu)[len(cpu) // 2]:.0f} req/s per fully available core")
        print(f"{scenario}: highest sustainable rate with p99 <= {TARGET_MS:.0f} ms: "
              f"{sustainable(rows, scenario, TARGET_MS)}; with p99 <= {SEED_MS:.0f} ms: "
              f"{sustainable(rows, scenario, SEED_MS)}")


if __name__ == "__main__":
    main()
