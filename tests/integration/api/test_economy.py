"""The economy's routes against real stores: shop, purchases, inventory and use, daily gift,
missions, achievements, ranking, and the level in GET besitos."""

from __future__ import annotations

from tests.integration.api.conftest import ApiEnv


async def _fund(api: ApiEnv, uid: str, amount: int) -> None:
    r = await api.client.post(f"/api/v1/user/{uid}/besitos", headers=api.headers,
                              json={"amount": amount, "reason": "test", "idempotency_key": "f"})
    assert r.status_code == 201, r.text


async def test_buy_replay_use_and_errors(api: ApiEnv) -> None:
    uid = await api.register(7401)
    items = (await api.client.get("/api/v1/shop/items", headers=api.headers)).json()["items"]
    lantern = next(i for i in items if i["item_id"] == "lantern_001")
    assert lantern == {"item_id": "lantern_001", "name": "Farol de Luciérnagas", "price": 5,
                       "kind": "consumable", "effect": {"reveal_hint": "hint_forest_001"},
                       "vip_only": False,
                       "description": "Ilumina el bosque y te revela una pista sobre el roble."}
    assert [i["price"] for i in items] == sorted(i["price"] for i in items)
    await _fund(api, uid, 12)
    url = f"/api/v1/user/{uid}/purchases"
    buy = {"item_id": "lantern_001", "quantity": 2, "idempotency_key": "b1"}
    r = await api.client.post(url, headers=api.headers, json=buy)
    assert r.status_code == 201, r.text
    assert r.json()["balance"] == 2
    assert r.json()["inventory"][0]["item_id"] == "lantern_001"
    assert r.json()["inventory"][0]["quantity"] == 2
    again = await api.client.post(url, headers=api.headers, json=buy)
    assert again.status_code == 200 and again.json()["balance"] == 2
    other = await api.client.post(url, headers=api.headers, json={**buy, "quantity": 1})
    assert other.status_code == 409  # the key was used for another purchase
    broke = await api.client.post(url, headers=api.headers,
                                  json={"item_id": "key_001", "idempotency_key": "b2"})
    assert broke.status_code == 409 and broke.json()["error"]["code"] == "insufficient_funds"
    missing = await api.client.post(url, headers=api.headers,
                                    json={"item_id": "nope", "idempotency_key": "b3"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "item_not_found"
    vip = await api.client.post(url, headers=api.headers,
                                json={"item_id": "map_001", "idempotency_key": "b4"})
    assert vip.status_code == 403

    use = f"/api/v1/user/{uid}/inventory/lantern_001/use"
    r = await api.client.post(use, headers=api.headers, json={"idempotency_key": "u1"})
    assert r.status_code == 200, r.text
    assert r.json()["remaining"] == 1 and r.json()["hint_text"].startswith("La luz del bosque")
    assert (await api.client.post(use, headers=api.headers,
                                  json={"idempotency_key": "u1"})).json()["remaining"] == 1
    assert (await api.client.post(use, headers=api.headers,
                                  json={"idempotency_key": "u2"})).json()["remaining"] == 0
    none = await api.client.post(use, headers=api.headers, json={"idempotency_key": "u3"})
    assert none.status_code == 409 and none.json()["error"]["code"] == "item_unavailable"
    inventory = (await api.client.get(f"/api/v1/user/{uid}/inventory",
                                      headers=api.headers)).json()
    assert inventory == {"user_id": uid, "items": []}
    assert len(await api.events("item_purchased", uid)) == 1
    assert len(await api.events("item_used", uid)) == 2


async def test_gift_missions_achievements_ranking_level(api_embedded: ApiEnv) -> None:
    api = api_embedded
    uid, other = await api.register(7402), await api.register(7403)
    r = await api.client.post(f"/api/v1/user/{uid}/daily-gift", headers=api.headers)
    assert r.status_code == 201, r.text
    assert r.json() == {"user_id": uid, "amount": 2, "streak": 1, "balance": 2}
    again = await api.client.post(f"/api/v1/user/{uid}/daily-gift", headers=api.headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_claimed"
    assert (await api.client.post("/api/v1/user/999/daily-gift",
                                  headers=api.headers)).status_code == 404

    missions = (await api.client.get(f"/api/v1/user/{uid}/missions",
                                     headers=api.headers)).json()
    assert missions["user_id"] == uid and isinstance(missions["missions"], list)
    achievements = (await api.client.get(f"/api/v1/user/{uid}/achievements",
                                         headers=api.headers)).json()["achievements"]
    assert {a["achievement_id"] for a in achievements} >= {"first_reaction"}
    assert all(a["unlocked_at"] is None for a in achievements)

    await _fund(api, other, 15)
    ranking = (await api.client.get("/api/v1/ranking?period=week",
                                    headers=api.headers)).json()["entries"]
    assert [(e["rank"], e["user_id"], e["earned"]) for e in ranking] == [(1, other, 15),
                                                                         (2, uid, 2)]
    assert ranking[0]["display_name"] == "Ana"
    r = await api.client.put(f"/api/v1/user/{other}/preferences", headers=api.headers,
                             json={"show_in_ranking": False})
    assert r.status_code == 200, r.text
    ranking = (await api.client.get("/api/v1/ranking", headers=api.headers)).json()["entries"]
    assert [(e["rank"], e["user_id"]) for e in ranking] == [(1, uid)]
    assert (await api.client.get("/api/v1/ranking?period=year",
                                 headers=api.headers)).status_code == 422

    wallet = (await api.client.get(f"/api/v1/user/{other}/besitos", headers=api.headers)).json()
    assert wallet["level"] == 2  # 15 earned: level 2 starts at 10
