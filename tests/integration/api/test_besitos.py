"""GET and POST /user/{id}/besitos against real stores."""

from __future__ import annotations

from tests.integration.api.conftest import ApiEnv


async def test_award_spend_replay_and_ledger(api: ApiEnv) -> None:
    uid = await api.register(7001)
    url = f"/api/v1/user/{uid}/besitos"
    r = await api.client.post(url, headers={**api.headers, "X-Request-ID": "award-7001"},
                              json={"amount": 10, "reason": "bonus", "idempotency_key": "k1"})
    assert r.status_code == 201, r.text
    assert (r.json()["balance"], r.json()["applied"]) == (10, True)
    again = await api.client.post(url, headers=api.headers,
                                  json={"amount": 10, "reason": "bonus", "idempotency_key": "k1"})
    assert again.status_code == 200
    assert (again.json()["balance"], again.json()["applied"]) == (10, False)
    assert again.json()["entry"]["id"] == r.json()["entry"]["id"]
    spent = await api.client.post(url, headers=api.headers,
                                  json={"amount": -4, "reason": "hint", "idempotency_key": "k2"})
    assert spent.status_code == 201 and spent.json()["balance"] == 6
    wallet = (await api.client.get(url, headers=api.headers)).json()
    assert wallet["user_id"] == uid and wallet["balance"] == 6
    assert [e["amount"] for e in wallet["entries"]] == [-4, 10]
    awarded = await api.events("besitos_awarded", uid)
    assert [e["correlation_id"] for e in awarded] == ["award-7001"]


async def test_spend_beyond_the_balance_is_409(api: ApiEnv) -> None:
    uid = await api.register(7002)
    r = await api.client.post(f"/api/v1/user/{uid}/besitos", headers=api.headers,
                              json={"amount": -1, "reason": "x", "idempotency_key": "s1"})
    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "insufficient_funds"
    wallet = (await api.client.get(f"/api/v1/user/{uid}/besitos", headers=api.headers)).json()
    assert wallet["balance"] == 0 and wallet["entries"] == []


async def test_key_reused_for_another_amount_is_409(api_embedded: ApiEnv) -> None:
    env = api_embedded
    uid = await env.register(7003)
    url = f"/api/v1/user/{uid}/besitos"
    await env.client.post(url, headers=env.headers,
                          json={"amount": 3, "reason": "a", "idempotency_key": "same"})
    r = await env.client.post(url, headers=env.headers,
                              json={"amount": 5, "reason": "a", "idempotency_key": "same"})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "conflict"


async def test_amounts_are_bounded_non_zero_integers(api_embedded: ApiEnv) -> None:
    env = api_embedded
    uid = await env.register(7004)
    bad = [{"amount": 0, "reason": "x", "idempotency_key": "a"},
           {"amount": 1_000_001, "reason": "x", "idempotency_key": "a"},
           {"amount": 1.5, "reason": "x", "idempotency_key": "a"},
           {"amount": "5", "reason": "x", "idempotency_key": "a"},
           {"amount": 5, "reason": "", "idempotency_key": "a"},
           {"amount": 5, "reason": "x", "idempotency_key": "has space"},
           {"amount": 5, "reason": "x"}]
    for body in bad:
        r = await env.client.post(f"/api/v1/user/{uid}/besitos", headers=env.headers, json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"]["code"] == "validation_error"
    wallet = (await env.client.get(f"/api/v1/user/{uid}/besitos", headers=env.headers)).json()
    assert wallet["balance"] == 0


async def test_unknown_user_besitos_is_404(api_embedded: ApiEnv) -> None:
    env = api_embedded
    r = await env.client.get("/api/v1/user/31337/besitos", headers=env.headers)
    assert r.status_code == 404 and r.json()["error"]["code"] == "user_not_found"
    r = await env.client.post("/api/v1/user/31337/besitos", headers=env.headers,
                              json={"amount": 1, "reason": "x", "idempotency_key": "z"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "user_not_found"
