"""GET /narrative/{fragment_id}, with and without the VIP gate, against real stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.integration.api.conftest import ApiEnv


async def test_fragment_with_choices_and_metadata(api: ApiEnv) -> None:
    r = await api.client.get("/api/v1/narrative/fragment_001", headers=api.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["title"] == "El Comienzo"
    assert {c["id"]: c["next_fragment"] for c in body["choices"]} == {
        "choice_a": "forest_001", "choice_b": "village_001"}
    assert body["metadata"]["vip_required"] is False


async def test_vip_fragment_gate(api: ApiEnv) -> None:
    free = await api.register(8001)
    vip = await api.register(8002)
    await api.services.domain.subscriptions.set_plan(
        vip, "vip", datetime.now(UTC) + timedelta(days=5))
    r = await api.client.get("/api/v1/narrative/vip_001", headers=api.headers)
    assert r.status_code == 200 and r.json()["metadata"]["vip_required"] is True
    denied = await api.client.get(f"/api/v1/narrative/vip_001?user_id={free}",
                                  headers=api.headers)
    assert denied.status_code == 403, denied.text
    assert denied.json()["error"]["code"] == "vip_required"
    allowed = await api.client.get(f"/api/v1/narrative/vip_001?user_id={vip}",
                                   headers=api.headers)
    assert allowed.status_code == 200
    assert len(await api.events("vip_access_denied", free)) == 1
    assert len(await api.events("vip_access_granted", vip)) == 1


async def test_unknown_and_malformed_fragments(api_embedded: ApiEnv) -> None:
    env = api_embedded
    r = await env.client.get("/api/v1/narrative/nowhere_404", headers=env.headers)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "fragment_not_found"
    assert "nowhere_404" in r.json()["error"]["message"]
    r = await env.client.get("/api/v1/narrative/bad%20id!", headers=env.headers)
    assert r.status_code == 422
    r = await env.client.get("/api/v1/narrative/fragment_001?user_id=x1", headers=env.headers)
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "query.user_id"
