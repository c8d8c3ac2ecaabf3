"""GET /events/dead-letters and POST .../{id}/replay (admin scope), on a real database."""

from __future__ import annotations

import sqlalchemy as sa

from tests.integration.api.conftest import ApiEnv, bearer, hs_token
from yabot.domain.events import UserActivity, UserActivityPayload
from yabot.storage.sql.tables import dead_letters, outbox


async def _dead_letter(env: ApiEnv) -> tuple[int, str]:
    event = UserActivity(user_id="9001", payload=UserActivityPayload(activity="x"))
    async with env.services.stores.sql.write() as conn:
        result = await conn.execute(dead_letters.insert().values(
            event_id=event.event_id, event_type=event.event_type, consumer_group="g1",
            event_data=event.to_json(), error="RuntimeError: boom", attempts=5))
        return int(result.inserted_primary_key[0]), event.event_id


async def test_list_and_replay(api: ApiEnv) -> None:
    dl_id, event_id = await _dead_letter(api)
    r = await api.client.get("/api/v1/events/dead-letters", headers=api.headers)
    assert r.status_code == 200, r.text
    assert r.json()["count"] == 1
    item = r.json()["items"][0]
    assert (item["id"], item["event_id"], item["status"]) == (dl_id, event_id, "pending")
    replay = await api.client.post(f"/api/v1/events/dead-letters/{dl_id}/replay",
                                   headers=api.headers)
    assert replay.status_code == 200, replay.text
    assert replay.json()["status"] == "replayed"
    async with api.services.stores.sql.read() as conn:
        queued = (await conn.execute(sa.select(outbox.c.event_id))).scalars().all()
    assert event_id in queued
    assert (await api.client.get("/api/v1/events/dead-letters",
                                 headers=api.headers)).json()["count"] == 0
    listed = await api.client.get("/api/v1/events/dead-letters?include_replayed=true",
                                  headers=api.headers)
    assert listed.json()["items"][0]["replayed_at"] is not None
    again = await api.client.post(f"/api/v1/events/dead-letters/{dl_id}/replay",
                                  headers=api.headers)
    assert again.status_code == 409


async def test_unknown_dead_letter_is_404(api_embedded: ApiEnv) -> None:
    r = await api_embedded.client.post("/api/v1/events/dead-letters/12345/replay",
                                       headers=api_embedded.headers)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "dead_letter_not_found"


async def test_dead_letters_need_the_admin_scope(api_embedded: ApiEnv) -> None:
    env = api_embedded
    dl_id, _ = await _dead_letter(env)
    headers = bearer(hs_token(["read", "write"]))
    for method, url in (("GET", "/api/v1/events/dead-letters"),
                        ("POST", f"/api/v1/events/dead-letters/{dl_id}/replay")):
        r = await env.client.request(method, url, headers=headers)
        assert r.status_code == 403, r.text
        assert r.json()["error"]["code"] == "insufficient_scope"
    assert (await env.client.get("/api/v1/events/dead-letters",
                                 headers=env.headers)).json()["count"] == 1
    admin_only = bearer(hs_token(["admin"]))
    r = await env.client.get("/api/v1/events/dead-letters", headers=admin_only)
    assert r.status_code == 200 and r.json()["count"] == 1
