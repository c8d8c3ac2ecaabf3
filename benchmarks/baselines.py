"""The two baselines that benchmarks/load.py and drills.py drive with YABOT's load.

    python benchmarks/baselines.py bare  PORT API_URL
    python benchmarks/baselines.py naive PORT API_URL REDIS_URL DB_PATH

`bare`: aiogram on uvicorn answering every update at once, with no storage (the ceiling).
`naive`: the seed's reference design, small and literal: handlers write the database and
publish events with synchronous Redis Pub/Sub (`publish`), a subscriber thread
(`run_in_thread`) writes each event to the database and reacts (a reaction earns a besito
and a notice), and there is no outbox: an event published while Redis is away is gone.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import threading
import time
import urllib.request
from typing import Any

from fastapi import Request, Response  # module level: FastAPI resolves the route's hints

SECRET = "load-hook-secret-0123456789"
TOKEN = "123456:load-token"


def serve(port: int, api_url: str, handle: Any) -> None:
    """uvicorn + aiogram webhook; `handle(bot, update)` answers one update."""
    import uvicorn
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Update
    from fastapi import FastAPI

    app, state, tasks = FastAPI(), {}, set()

    @app.post("/telegram/webhook")
    async def hook(request: Request) -> Response:
        if "bot" not in state:
            state["bot"] = Bot(TOKEN, session=AiohttpSession(
                api=TelegramAPIServer.from_base(api_url)))
        update = Update.model_validate(await request.json(), context={"bot": state["bot"]})
        task = asyncio.create_task(handle(state["bot"], update))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return Response('{"ok":true}', media_type="application/json")

    @app.get("/health/ready")
    async def ready() -> dict[str, str]:
        return {"status": "ok"}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def chat_of(update: Any) -> int | None:
    if update.message:
        return int(update.message.chat.id)
    if update.callback_query and update.callback_query.message:
        return int(update.callback_query.message.chat.id)
    if update.message_reaction:
        return int(update.message_reaction.chat.id)
    return None


def bare(port: int, api_url: str) -> None:
    async def handle(bot: Any, update: Any) -> None:
        if (chat := chat_of(update)) is not None:
            await bot.send_message(chat, "¡Hola! Bienvenida/o")

    serve(port, api_url, handle)


def naive(port: int, api_url: str, redis_url: str, db_path: str) -> None:
    import redis

    db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
    db.execute("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, besitos INT)")
    db.execute("CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, type TEXT, body TEXT)")
    lock = threading.Lock()
    client = redis.Redis.from_url(redis_url)

    def write(sql: str, *args: Any) -> None:
        with lock:
            db.execute(sql, args)

    def send(chat: int, text: str) -> None:
        body = json.dumps({"chat_id": chat, "text": text}).encode()
        request = urllib.request.Request(f"{api_url}/bot{TOKEN}/sendMessage", data=body,
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=10).close()

    def on_event(message: dict[str, Any]) -> None:
        event = json.loads(message["data"])
        write("INSERT INTO events (type, body) VALUES (?, ?)", event["type"], message["data"])
        if event["type"] == "reaction_detected":
            write("UPDATE users SET besitos = besitos + 1 WHERE id = ?", event["user"])
            client.publish("events", json.dumps({**event, "type": "besitos_awarded"}))
        elif event["type"] == "besitos_awarded":
            send(event["user"], "+1 besitos")

    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(events=on_event)
    pubsub.run_in_thread(sleep_time=0.01, daemon=True)

    async def handle(bot: Any, update: Any) -> None:
        chat = chat_of(update)
        if chat is None:
            return
        if update.message_reaction:
            client.publish("events", json.dumps({"type": "reaction_detected", "user": chat,
                                                 "at": time.time()}))
            return
        text = update.message.text if update.message else ""
        if text == "/start":
            write("INSERT OR IGNORE INTO users (id, besitos) VALUES (?, 0)", chat)
            client.publish("events", json.dumps({"type": "user_registered", "user": chat}))
            await bot.send_message(chat, "¡Hola! Bienvenida/o")
            return
        client.publish("events", json.dumps({"type": "user_interaction", "user": chat}))
        await bot.send_message(chat, "El Comienzo")

    serve(port, api_url, handle)


if __name__ == "__main__":
    kind, args = sys.argv[1], sys.argv[2:]
    if kind == "bare":
        bare(int(args[0]), args[1])
    else:
        naive(int(args[0]), args[1], args[2], args[3])
