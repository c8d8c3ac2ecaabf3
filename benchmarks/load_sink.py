"""The fake Bot API for benchmarks/load.py, in its own process so its CPU is measured apart.

    python benchmarks/load_sink.py PORT [--fail-file PATH]

Answers every Bot API method like Telegram and timestamps each sent message with
CLOCK_MONOTONIC (shared by every process on the machine). `GET /_replies?after=N` returns
the records from index N on: `[[chat_id, monotonic_at, method, text], ...]`. While the
file named by `--fail-file` exists, its content (`502` or `429 SECONDS`) is the answer to
every sending method: the Telegram outage of the drills.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

BOT = {"id": 1, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}
SENDING = {"sendmessage", "editmessagetext", "sendinvoice", "sendphoto"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 4096


class Sink:
    def __init__(self, fail_file: Path | None) -> None:
        self.records: list[tuple[int, float, str, str]] = []
        self.lock = threading.Lock()
        self.mid = 10_000
        self.fail_file = fail_file
        self.refused = 0

    def failure(self) -> tuple[int, int | None] | None:
        if self.fail_file is None or not self.fail_file.exists():
            return None
        words = self.fail_file.read_text().split()
        if not words:
            return None
        return int(words[0]), (int(words[1]) if len(words) > 1 else None)

    def answer(self, method: str, params: dict[str, Any], at: float) -> tuple[int, Any]:
        if method in SENDING and (fail := self.failure()) is not None:
            status, retry_after = fail
            with self.lock:
                self.refused += 1
            body: dict[str, Any] = {"ok": False, "error_code": status,
                                    "description": "Bad Gateway" if status >= 500
                                    else "Too Many Requests"}
            if retry_after is not None:
                body["parameters"] = {"retry_after": retry_after}
            return status, body
        result: Any = True
        if method in SENDING:
            chat = int(params.get("chat_id") or 0)
            with self.lock:
                self.records.append((chat, at, method, str(params.get("text", ""))))
                self.mid += 1
                result = {"message_id": self.mid, "date": int(time.time()),
                          "chat": {"id": chat, "type": "private"}, "from": BOT,
                          "text": params.get("text", "")}
        elif method == "getme":
            result = BOT
        elif method == "createinvoicelink":
            result = "https://t.me/$bench-invoice"
        return 200, {"ok": True, "result": result}


def serve(port: int, fail_file: Path | None) -> None:
    sink = Sink(fail_file)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path == "/_replies":
                after = int(parse_qs(url.query).get("after", ["0"])[0])
                with sink.lock:
                    self._send(200, {"records": sink.records[after:], "refused": sink.refused})
                return
            self.do_POST()

        def do_POST(self) -> None:
            at = time.monotonic()
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            if "json" in self.headers.get("Content-Type", "") and raw:
                params = json.loads(raw)
            else:
                params = {k: v[0] for k, v in parse_qs(raw).items()}
            method = self.path.split("?")[0].rsplit("/", 1)[-1].lower()
            status, body = sink.answer(method, params, at)
            self._send(status, body)

    _Server(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    fail = Path(sys.argv[3]) if sys.argv[2:3] == ["--fail-file"] else None
    serve(int(sys.argv[1]), fail)
