"""Parts of benchmarks/webhook.py: the fake Bot API that timestamps replies, the load
generator (run in its own process) and the bare aiogram webhook bot (the ceiling)."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request, Response  # module level: FastAPI resolves the route's hints

SECRET = "bench-hook-secret-0123456789"
TOKEN = "123456:bench-token"
BOT = {"id": 1, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 4096


class ReplySink:
    """A Bot API stand-in: answers every method, records (monotonic time, text) per chat."""

    def __init__(self) -> None:
        self.replies: dict[int, list[tuple[float, str]]] = {}
        self.total = 0  # replies so far (read without the lock: a cheap progress check)
        self.lock = threading.Lock()
        self.mid = 10_000
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                at = time.monotonic()
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                if "json" in self.headers.get("Content-Type", "") and raw:
                    params = json.loads(raw)
                else:
                    params = {k: v[0] for k, v in parse_qs(raw).items()}
                method = self.path.rsplit("/", 1)[-1].lower()
                result: Any = True
                if method == "sendmessage":
                    chat = int(params["chat_id"])
                    with sink.lock:
                        sink.replies.setdefault(chat, []).append((at, params.get("text", "")))
                        sink.total += 1
                        sink.mid += 1
                        result = {"message_id": sink.mid, "date": int(time.time()),
                                  "chat": {"id": chat, "type": "private"}, "from": BOT,
                                  "text": params.get("text", "")}
                elif method == "getme":
                    result = BOT
                data = json.dumps({"ok": True, "result": result}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def first_after(self, chat: int, since: float, needle: str) -> float | None:
        with self.lock:
            return next((at for at, text in self.replies.get(chat, [])
                         if at >= since and needle in text), None)

    def count(self, needle: str) -> int:
        with self.lock:
            return sum(needle in text for rs in self.replies.values() for _, text in rs)


def update_for(kind: str, update_id: int, uid: int) -> dict[str, Any]:
    user = {"id": uid, "is_bot": False, "first_name": "Bench", "language_code": "es"}
    chat = {"id": uid, "type": "private"}
    if kind == "start":
        return {"update_id": update_id, "message": {
            "message_id": update_id, "date": int(time.time()), "chat": chat, "from": user,
            "text": "/start", "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}
    if kind == "choice":
        return {"update_id": update_id, "callback_query": {
            "id": str(update_id), "chat_instance": "b", "from": user,
            "data": "story:fragment_001:choice_a", "message": {
                "message_id": 1, "date": int(time.time()), "chat": chat, "from": BOT,
                "text": "…"}}}
    return {"update_id": update_id, "message_reaction": {
        "chat": chat, "message_id": update_id, "user": user, "date": int(time.time()),
        "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "❤"}]}}


async def _load(url: str, kind: str, first_id: int, users: list[int],
                concurrency: int, rate: float) -> dict[int, float]:
    import httpx

    sent: dict[int, float] = {}
    todo = iter(enumerate(users))
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with httpx.AsyncClient(timeout=30, trust_env=False, limits=httpx.Limits(
            max_connections=concurrency)) as client:
        begin = time.monotonic()

        async def worker() -> None:
            for i, uid in todo:
                if rate > 0:  # paced: update i leaves at i / rate
                    await asyncio.sleep(max(0.0, begin + i / rate - time.monotonic()))
                body = update_for(kind, first_id + i, uid)
                at = time.monotonic()
                response = await client.post(url, json=body, headers=headers)
                if response.status_code != 200:
                    raise SystemExit(f"webhook answered {response.status_code}")
                sent[uid] = at
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return sent


def loadgen_main(argv: list[str]) -> None:
    """`--loadgen URL KIND FIRST_ID UID0 COUNT CONCURRENCY RATE`: prints {uid: sent_at}."""
    url, kind, first_id, uid0, count, concurrency, rate = argv
    users = list(range(int(uid0), int(uid0) + int(count)))
    sent = asyncio.run(_load(url, kind, int(first_id), users, int(concurrency), float(rate)))
    json.dump(sent, sys.stdout)


def bare_main(argv: list[str]) -> None:
    """`--bare PORT API_URL`: aiogram answering /start at once, on uvicorn like YABOT."""
    import uvicorn
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.filters import CommandStart
    from aiogram.types import Message, Update
    from fastapi import FastAPI

    port, api_url = int(argv[0]), argv[1]
    app, dp = FastAPI(), Dispatcher()
    state: dict[str, Bot] = {}
    tasks: set[asyncio.Task[Any]] = set()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("¡Hola! Bienvenida/o")

    @app.post("/telegram/webhook")
    async def hook(request: Request) -> Response:
        if "bot" not in state:
            state["bot"] = Bot(TOKEN, session=AiohttpSession(
                api=TelegramAPIServer.from_base(api_url)))
        bot = state["bot"]
        update = Update.model_validate(await request.json(), context={"bot": bot})
        task = asyncio.create_task(dp.feed_update(bot, update))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return Response('{"ok":true}', media_type="application/json")

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
