"""The economy's writes through the API beside GET /state, in the same run: a purchase
(POST /user/{id}/purchases) and an auction bid (POST /auctions/{id}/bids), each one
transaction with its ledger entry, hold/release and outbox events.

    .venv/bin/python benchmarks/economy.py [--users 500] [--seconds 6] \
        [--rates 50,100,200,400] [--connections 16]

One `yabot run` server (embedded default, HS256) in a temp dir; users seeded with besitos
and one open auction. The open-loop client of benchmarks/api.py (latency from the
scheduled send time, so queueing counts) runs in its own process. Bids rise with the
request number, so most lead (201); a bid overtaken in flight answers 409 (counted apart,
not as an error). Prints p50/p99 and the server's CPU per request; never asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from api import SECRET, WARMUP_S, cpu_seconds, free_port, read_response, token

BASE_ID, FUNDS = 800_000, 10_000_000
SCENARIOS = ("state", "purchase", "bid")


def request_bytes(kind: str, uid: int, auth: str, i: int, auction: str) -> bytes:
    head = f"Host: bench\r\nAuthorization: Bearer {auth}\r\n"
    if kind == "state":
        return f"GET /api/v1/user/{uid}/state HTTP/1.1\r\n{head}\r\n".encode()
    if kind == "purchase":
        path = f"/api/v1/user/{uid}/purchases"
        body = {"item_id": "lantern_001", "quantity": 1, "idempotency_key": f"p{i}"}
    else:
        path = f"/api/v1/auctions/{auction}/bids"
        body = {"user_id": str(uid), "amount": 10 + i, "idempotency_key": f"b{i}"}
    data = json.dumps(body).encode()
    return (f"POST {path} HTTP/1.1\r\n{head}Content-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n").encode() + data


async def run_step(config: dict[str, Any], scenario: str, rate: int, offset: int,
                   ) -> dict[str, Any]:
    auth, queue = token(), asyncio.Queue[tuple[float, int, int] | None]()
    samples: list[tuple[float, float, int]] = []  # (scheduled, latency, status)

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", config["port"])
        while (item := await queue.get()) is not None:
            scheduled, uid, i = item
            writer.write(request_bytes(scenario, uid, auth, i, config["auction"]))
            status = await read_response(reader)
            samples.append((scheduled, time.perf_counter() - scheduled, status))
        writer.close()

    cpu_before = cpu_seconds(config["server_pid"])
    workers = [asyncio.create_task(connection()) for _ in range(config["connections"])]
    total, start = int(rate * config["seconds"]), time.perf_counter() + 0.05
    for i in range(total):
        due = start + i / rate
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        queue.put_nowait((due, BASE_ID + random.randrange(config["users"]), offset + i))
    for _ in workers:
        queue.put_nowait(None)
    _done, pending = await asyncio.wait(workers, timeout=60)
    for task in pending:
        task.cancel()
    cpu = cpu_seconds(config["server_pid"]) - cpu_before
    kept = sorted(lat for s, lat, _ in samples if s >= start + WARMUP_S)
    window = [s for s, _, _ in samples if s >= start + WARMUP_S]
    end = max((s + lat for s, lat, _ in samples), default=start)

    def pct(p: float) -> float:
        return kept[min(len(kept) - 1, int(p * len(kept)))] * 1000 if kept else float("nan")

    codes: dict[str, int] = {}
    for _, _, status in samples:
        codes[str(status)] = codes.get(str(status), 0) + 1
    return {"scenario": scenario, "rate": rate, "sent": total, "answered": len(samples),
            "achieved": round(len(window) / max(end - (start + WARMUP_S), 1e-9)),
            "p50_ms": round(pct(0.50), 2), "p99_ms": round(pct(0.99), 2), "codes": codes,
            "cpu_ms": round(cpu * 1000 / max(len(samples), 1), 3)}


def client_main(config: dict[str, Any]) -> None:
    offset = 0
    for rate in config["rates"]:
        for scenario in SCENARIOS:
            print(json.dumps(asyncio.run(run_step(config, scenario, rate, offset))),
                  flush=True)
            offset += int(rate * config["seconds"]) + 1


async def seed(users: int) -> str:
    """Users with besitos, and one auction open for an hour; returns its id."""
    from yabot.core import start_core, stop_core
    from yabot.domain.views import TelegramUser
    from yabot.settings import load_settings

    services = await start_core(load_settings())
    domain = services.domain
    for i in range(users):
        await domain.users.create_user(TelegramUser(id=BASE_ID + i, first_name="B"))
        await domain.besitos.award(str(BASE_ID + i), FUNDS, "admin:bench", f"bench-{i}")
    auction = await domain.auctions.open("besito_001", 1,
                                         datetime.now(UTC) + timedelta(hours=1))
    await stop_core(services)
    return auction.auction_id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--rates", default="50,100,200,400")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client_main(json.loads(args.client))
        return
    work = Path(tempfile.mkdtemp(prefix="yabot-bench-economy-"))
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(
        ("API_", "JWT_", "REDIS_", "MONGODB_", "DATABASE_URL", "BOT_", "LOG_"))},
           "SQLITE_DATABASE_PATH": str(work / "data" / "yabot.db"), "JWT_ALGORITHM": "HS256",
           "JWT_SECRET": SECRET, "API_PORT": str(free_port()), "LOG_LEVEL": "WARNING"}
    os.environ.update(env)
    auction = asyncio.run(seed(args.users))
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
                  "seconds": args.seconds, "users": args.users, "auction": auction,
                  "connections": args.connections, "server_pid": server.pid}
        out = subprocess.run([sys.executable, __file__, "--client", json.dumps(config)],
                             capture_output=True, text=True, check=True).stdout
    finally:
        server.terminate()
        server.wait(30)
        log.close()
    report([json.loads(line) for line in out.splitlines() if line.strip()], args)


def report(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"load {os.getloadavg()[0]:.1f}; {args.users} users; {args.connections} keep-alive "
          f"connections; {args.seconds:.0f} s per step (first {WARMUP_S:.0f} s not counted)\n")
    print("| scenario | offered req/s | achieved req/s | p50 ms | p99 ms | statuses "
          "| server CPU ms/req |")
    print("|---|---:|---:|---:|---:|---|---:|")
    for r in rows:
        codes = " ".join(f"{k}×{v}" for k, v in sorted(r["codes"].items()))
        lost = r["sent"] - r["answered"]
        print(f"| {r['scenario']} | {r['rate']} | {r['achieved']} | {r['p50_ms']} | "
              f"{r['p99_ms']} | {codes}{f' lost×{lost}' if lost else ''} | {r['cpu_ms']} |")
    print()
    for scenario in SCENARIOS:
        cpu = sorted(r["cpu_ms"] for r in rows if r["scenario"] == scenario and r["answered"])
        if cpu:
            print(f"{scenario}: median server CPU {cpu[len(cpu) // 2]} ms/request")


if __name__ == "__main__":
    main()
