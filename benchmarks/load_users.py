"""The load generator of benchmarks/load.py: simulated users sending a realistic mix over
HTTP at a fixed offered rate (open loop), in its own process.

    python benchmarks/load_users.py CONFIG_JSON   (prints the run's records as JSON)

CONFIG: {hooks: [webhook URLs], apis: [API base URLs], secret, jwt_secret, uid0, users,
rate, seconds, first_update_id, mix: {kind: weight}, max_in_flight, seed, redeliver}.
`redeliver` (seconds): keep re-posting an update the webhook refused or could not take,
as Telegram does, for that long. A user acts
again only after `think` seconds, so one user's updates do not overlap and each reply can
be matched to the update that caused it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import sys
import time
from typing import Any

import httpx
import jwt

DEFAULT_MIX = {"start": 10, "choice": 30, "menu": 10, "reaction": 25, "besitos": 10, "api": 15}


def update_for(kind: str, update_id: int, uid: int, reaction_mid: int) -> dict[str, Any]:
    user = {"id": uid, "is_bot": False, "first_name": "Carga", "language_code": "es"}
    chat = {"id": uid, "type": "private"}
    now = int(time.time())
    if kind in ("start", "besitos"):
        text = "/start" if kind == "start" else "/besitos"
        return {"update_id": update_id, "message": {
            "message_id": update_id, "date": now, "chat": chat, "from": user, "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}]}}
    if kind in ("choice", "menu"):
        data = "story:fragment_001:choice_a" if kind == "choice" else "menu:story"
        return {"update_id": update_id, "callback_query": {
            "id": str(update_id), "chat_instance": "load", "from": user, "data": data,
            "message": {"message_id": 1, "date": now, "chat": chat, "text": "…"}}}
    return {"update_id": update_id, "message_reaction": {
        "chat": chat, "message_id": reaction_mid, "user": user, "date": now,
        "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "❤"}]}}


def token(secret: str) -> str:
    now = int(time.time())
    return jwt.encode({"iss": "yabot-api", "aud": "yabot-internal", "sub": "load",
                       "iat": now, "exp": now + 3600, "scope": ["read", "write"]},
                      secret, algorithm="HS256")


class Users:
    """Who acts next: registered users by the mix, unregistered ones start with /start."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        self.rng = random.Random(cfg.get("seed", 1))
        self.uids = list(range(cfg["uid0"], cfg["uid0"] + cfg["users"]))
        self.registered: set[int] = set(cfg.get("registered", []))
        self.ready_at: dict[int, float] = {}
        self.think = float(cfg.get("think", 2.0))
        self.sequential = iter(self.uids) if cfg.get("sequential") else None
        mix = cfg.get("mix") or DEFAULT_MIX
        self.kinds, self.weights = list(mix), list(mix.values())

    def next(self, now: float) -> tuple[int, str]:
        if self.sequential is not None:  # registration pass: every user once, /start
            uid = next(self.sequential, None) or self.rng.choice(self.uids)
            self.registered.add(uid)
            return uid, "start"
        for _ in range(50):
            uid = self.rng.choice(self.uids)
            if self.ready_at.get(uid, 0.0) <= now:
                break
        self.ready_at[uid] = now + self.think
        if uid not in self.registered:
            self.registered.add(uid)
            return uid, "start"
        return uid, self.rng.choices(self.kinds, self.weights)[0]


async def run(cfg: dict[str, Any]) -> dict[str, Any]:
    users, rate, seconds = Users(cfg), float(cfg["rate"]), float(cfg["seconds"])
    hooks, apis = cfg["hooks"], cfg["apis"]
    headers = {"X-Telegram-Bot-Api-Secret-Token": cfg["secret"]}
    auth = {"Authorization": f"Bearer {token(cfg['jwt_secret'])}"}
    sent: list[list[Any]] = []  # [update_id, kind, uid, sent_at, status, answered_at]
    api: list[list[Any]] = []   # [sent_at, latency_s, status]
    gate = asyncio.Semaphore(int(cfg.get("max_in_flight", 256)))
    ids = itertools.count(int(cfg["first_update_id"]))
    mids = itertools.count(int(cfg["first_update_id"]))
    late = 0
    async with httpx.AsyncClient(timeout=60, trust_env=False, limits=httpx.Limits(
            max_connections=int(cfg.get("max_in_flight", 256)))) as client:

        async def post(url: str, body: dict[str, Any]) -> int | str:
            """One delivery; with `redeliver`, retried like Telegram until it is taken."""
            deadline = time.monotonic() + float(cfg.get("redeliver", 0))
            while True:
                try:
                    r = await client.post(url, json=body, headers=headers)
                    if r.status_code < 500 or time.monotonic() > deadline:
                        return r.status_code
                except httpx.HTTPError as exc:
                    if time.monotonic() > deadline:
                        return type(exc).__name__
                await asyncio.sleep(1.0)

        async def one(i: int, uid: int, kind: str) -> None:
            async with gate:
                at = time.monotonic()
                try:
                    if kind == "api":
                        r = await client.get(f"{apis[i % len(apis)]}/api/v1/user/{uid}/besitos",
                                             headers=auth)
                        api.append([at, time.monotonic() - at, r.status_code])
                        return
                    update_id = next(ids)
                    body = update_for(kind, update_id, uid, next(mids))
                    status = await post(hooks[uid % len(hooks)], body)
                    sent.append([update_id, kind, uid, at, status, time.monotonic()])
                except httpx.HTTPError as exc:
                    if kind == "api":
                        api.append([at, None, type(exc).__name__])
                    else:
                        sent.append([None, kind, uid, at, type(exc).__name__, time.monotonic()])

        begin, tasks = time.monotonic(), []
        total = int(rate * seconds)
        for i in range(total):
            due = begin + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -0.05:
                late += 1
            uid, kind = users.next(time.monotonic())
            tasks.append(asyncio.create_task(one(i, uid, kind)))
        await asyncio.gather(*tasks)
    return {"sent": sent, "api": api, "late": late, "offered": rate,
            "began": begin, "ended": time.monotonic(),
            "registered": sorted(users.registered)}


if __name__ == "__main__":
    config = json.loads(sys.argv[1])
    json.dump(asyncio.run(run(config)), sys.stdout)
