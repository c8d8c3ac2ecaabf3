"""/api/v1/broadcasts against real stores: segments, idempotency, progress, scopes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from tests.integration.api.conftest import ApiEnv, bearer, hs_token
from yabot.storage.sql.tables_messaging import outgoing_messages as t

URL = "/api/v1/broadcasts"


async def test_segments_idempotency_and_progress(api: ApiEnv) -> None:
    users = [await api.register(uid) for uid in (9101, 9102, 9103)]
    await api.services.domain.subscriptions.set_plan(
        users[0], "vip", datetime.now(UTC) + timedelta(days=30))
    await api.services.domain.subscriptions.set_plan(users[1], "vip")
    await api.services.domain.subscriptions.set_plan(users[1], "free")  # cancelled: free

    r = await api.client.post(URL, headers=api.headers, json={
        "text": "¡Hola a todos!", "segment": "free", "idempotency_key": "b-free"})
    assert r.status_code == 201, r.text
    free = r.json()
    assert free["recipients"] == 2
    again = await api.client.post(URL, headers=api.headers, json={
        "text": "¡Hola a todos!", "segment": "free", "idempotency_key": "b-free"})
    assert again.status_code == 200 and again.json() == free  # no second broadcast
    vip = (await api.client.post(URL, headers=api.headers, json={
        "text": "Solo VIP", "segment": "vip", "idempotency_key": "b-vip"})).json()
    everyone = (await api.client.post(URL, headers=api.headers, json={
        "text": "Todos", "segment": "all", "idempotency_key": "b-all"})).json()
    assert (vip["recipients"], everyone["recipients"]) == (1, 3)

    async with api.services.stores.sql.read() as conn:
        chats = sorted((await conn.execute(sa.select(t.c.chat_id).where(
            t.c.broadcast_id == free["broadcast_id"]))).scalars())
    assert chats == [9102, 9103]

    got = await api.client.get(f"{URL}/{free['broadcast_id']}", headers=api.headers)
    assert got.status_code == 200
    assert got.json() == {"broadcast_id": free["broadcast_id"], "status": "queued",
                          "total": 2, "sent": 0, "failed": 0, "blocked": 0}


async def test_scopes_validation_and_not_found(api_embedded: ApiEnv) -> None:
    api = api_embedded
    body = {"text": "x", "segment": "all", "idempotency_key": "k"}
    rw = bearer(hs_token(["read", "write"]))
    assert (await api.client.post(URL, headers=rw, json=body)).status_code == 403
    read_only = bearer(hs_token(["read"]))
    r = await api.client.post(URL, headers=api.headers, json={**body, "segment": "gold"})
    assert r.status_code == 422 and r.json()["error"]["code"]
    r = await api.client.post(URL, headers=api.headers, json={**body, "text": "   "})
    assert r.status_code == 422
    # separators that Python strips but the schema's \S admits (found by schemathesis)
    r = await api.client.post(URL, headers=api.headers, json={**body, "text": "\x1f\x1c"})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "text"
    missing = await api.client.get(f"{URL}/999", headers=read_only)
    assert missing.status_code == 404
    assert "broadcast" in missing.json()["error"]["message"]
    created = await api.client.post(URL, headers=bearer(hs_token(["admin"])), json=body)
    assert created.status_code == 201 and created.json()["recipients"] == 0
    done = await api.client.get(f"{URL}/{created.json()['broadcast_id']}", headers=read_only)
    assert done.json()["status"] == "done" and done.json()["total"] == 0
