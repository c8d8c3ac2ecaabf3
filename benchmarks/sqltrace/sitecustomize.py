"""Count the SQLite statements a process runs, by verb and table (benchmarks only).

Put this directory on the process's PYTHONPATH and set SQL_TRACE_OUT to a JSON file; the
counts are written there every second and at exit. executemany counts once per row.
"""

from __future__ import annotations

import atexit
import collections
import json
import os
import re
import sqlite3
import threading
import time
from typing import Any

_counts: collections.Counter[str] = collections.Counter()
_lock = threading.Lock()
_connect = sqlite3.connect
_TABLE = re.compile(r'(?:INTO|UPDATE|FROM)\s+"?(\w+)', re.IGNORECASE)


def _trace(sql: str) -> None:
    words = sql.split()
    table = _TABLE.search(sql)
    key = f"{words[0].upper() if words else '?'} {table.group(1) if table else ''}".strip()
    with _lock:
        _counts[key] += 1


def _traced_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
    conn = _connect(*args, **kwargs)
    conn.set_trace_callback(_trace)
    return conn


def _dump() -> None:
    with _lock:
        data = dict(_counts)
    with open(os.environ["SQL_TRACE_OUT"], "w") as out:
        json.dump(data, out)


def _every_second() -> None:
    while True:
        time.sleep(1)
        _dump()


if os.environ.get("SQL_TRACE_OUT"):
    sqlite3.connect = _traced_connect  # type: ignore[assignment]
    atexit.register(_dump)
    threading.Thread(target=_every_second, daemon=True).start()
