"""`yabot users import` on a generated legacy export (prints only).

`.venv/bin/python benchmarks/users_import.py [--rows 100000]`: writes a JSON Lines file
(a third with besitos, every tenth a VIP plan), then times, as subprocesses on the embedded
default: the dry run, the import, and the idempotent re-run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def write_export(path: Path, rows: int) -> None:
    end = (datetime.now(UTC) + timedelta(days=60)).isoformat()
    rnd = random.Random(7)
    with path.open("w") as out:
        for i in range(rows):
            row: dict[str, object] = {
                "telegram_user_id": 700_000_000 + i, "username": f"legacy{i}",
                "first_name": "Usuario", "language_code": "es",
                "registration_date": "2024-02-01T12:00:00Z"}
            if i % 3 == 0:
                row["besitos"] = rnd.randint(1, 500)
            if i % 10 == 0:
                row |= {"plan_type": "vip", "plan_end_date": end}
            out.write(json.dumps(row) + "\n")


def timed(label: str, args: list[str], env: dict[str, str], cwd: Path) -> None:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "yabot", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    summary = done.stdout.strip().splitlines()[0] if done.stdout.strip() else done.stderr[-300:]
    print(f"| {label} | {took:.1f} s | exit {done.returncode}: {summary.split(': ', 2)[-1]} |")


def main(rows: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="yabot-bench-import-"))
    try:
        export = tmp / "legacy.jsonl"
        write_export(export, rows)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("REDIS_", "DATABASE_URL", "MONGODB_", "BOT_"))}
        env |= {"SQLITE_DATABASE_PATH": str(tmp / "yabot.db"), "LOG_LEVEL": "WARNING",
                # this checkout's code, whichever one the interpreter has installed
                "PYTHONPATH": os.pathsep.join([str(SRC), *filter(None, [
                    os.environ.get("PYTHONPATH")])])}
        subprocess.run([sys.executable, "-m", "yabot", "migrate"], env=env, cwd=tmp,
                       capture_output=True, check=True)
        load = os.getloadavg()
        print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, load "
              f"{load[0]:.2f}, {rows:,} rows, embedded default, wall time per command\n")
        print("| command | time | result |\n|---|---:|---|")
        timed("users import --dry-run", ["users", "import", str(export), "--dry-run"], env, tmp)
        timed("users import", ["users", "import", str(export)], env, tmp)
        timed("users import (re-run)", ["users", "import", str(export)], env, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    main(parser.parse_args().rows)
