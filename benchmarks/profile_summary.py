"""Summarise a py-spy collapsed-stack file (`--format raw`): the share of samples in which
each function is on the stack (inclusive) and on top (self), idle samples apart.

    .venv/bin/python benchmarks/profile_summary.py FILE [--top 40] [--only yabot]
"""

from __future__ import annotations

import argparse
from collections import Counter

# leaves that mean waiting: the selector, uvloop's loop in C (its Python frame is
# Runner.run), a thread waiting on its queue or lock
IDLE = ("select (selectors.py", "Runner.run (asyncio/runners.py",
        "_connection_worker_thread (aiosqlite/core.py:59)",
        "wait (threading.py", "_worker (concurrent/futures/thread.py", "get (queue.py")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--only", default="", help="inclusive table: frames containing this")
    args = parser.parse_args()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = idle = 0
    threads: Counter[str] = Counter()
    with open(args.file) as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            frames = stack.split(";")
            total += n
            if any(i in frames[-1] for i in IDLE) or "(" not in frames[-1]:
                idle += n
                continue
            threads[frames[0]] += n
            own[frames[-1]] += n
            for frame in set(frames[1:]):
                inclusive[frame] += n
    busy = max(1, total - idle)
    print(f"samples {total}, idle {idle} ({idle / max(1, total):.0%}), busy {busy}")
    print("\nbusy samples per thread:")
    for name, n in threads.most_common(8):
        print(f"{n / busy:6.1%}  {name[:110]}")
    print(f"\ntop {args.top} by self time (% of busy samples):")
    for name, n in own.most_common(args.top):
        print(f"{n / busy:6.1%}  {name[:110]}")
    print(f"\ntop {args.top} by inclusive time{' (' + args.only + ')' if args.only else ''}:")
    shown = 0
    for name, n in inclusive.most_common():
        if args.only and args.only not in name:
            continue
        print(f"{n / busy:6.1%}  {name[:110]}")
        shown += 1
        if shown >= args.top:
            break


if __name__ == "__main__":
    main()
