"""GET and PUT /user/{id}/subscription against real stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.integration.api.conftest import ApiEnv


async def test_registered_user_is_free_and_active(api: ApiEnv) -> None:
    uid = await api.register(6001)
    r = await api.client.get(f"/api/v1/user/{uid}/subscription", headers=api.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["user_id"] == uid
    assert (body["plan_type"], body["status"], body["is_vip"]) == ("free", "active", False)
    assert set(body) == {"user_id", "plan_type", "status", "start_date", "end_date", "is_vip"}


async def test_grant_vip_then_cancel(api: ApiEnv) -> None:
    uid = await api.register(6002)
    end = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    r = await api.client.put(f"/api/v1/user/{uid}/subscription", headers=api.headers,
                             json={"plan_type": "vip", "end_date": end.isoformat()})
    assert r.status_code == 200, r.text
    assert (r.json()["plan_type"], r.json()["is_vip"]) == ("vip", True)
    got = (await api.client.get(f"/api/v1/user/{uid}/subscription", headers=api.headers)).json()
    assert got["plan_type"] == "vip" and got["is_vip"] is True and got["status"] == "active"
    assert datetime.fromisoformat(got["end_date"]) == end
    r = await api.client.put(f"/api/v1/user/{uid}/subscription", headers=api.headers,
                             json={"plan_type": "free"})
    assert (r.json()["plan_type"], r.json()["is_vip"]) == ("free", False)
    got = (await api.client.get(f"/api/v1/user/{uid}/subscription", headers=api.headers)).json()
    assert (got["plan_type"], got["status"]) == ("free", "active")
    updates = await api.events("subscription_updated", uid)
    assert len(updates) == 2


async def test_bad_plans_are_422_and_change_nothing(api_embedded: ApiEnv) -> None:
    env = api_embedded
    uid = await env.register(6003)
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    cases = [({"plan_type": "gold"}, "body.plan_type"),
             ({"plan_type": "vip", "end_date": past}, "body.end_date"),
             ({"plan_type": "free", "end_date": future}, "body.end_date"),
             ({"plan_type": "vip", "end_date": "2030-01-01T00:00:00"}, "body.end_date"),
             ({"plan_type": "vip", "days": 3}, "body.days")]
    for body, field in cases:
        r = await env.client.put(f"/api/v1/user/{uid}/subscription", headers=env.headers,
                                 json=body)
        assert r.status_code == 422, (body, r.text)
        assert field in {d["field"] for d in r.json()["error"]["details"]}, r.json()
    got = (await env.client.get(f"/api/v1/user/{uid}/subscription", headers=env.headers)).json()
    assert got["plan_type"] == "free"


async def test_unknown_user_subscription_is_404(api_embedded: ApiEnv) -> None:
    env = api_embedded
    for method, body in (("GET", None), ("PUT", {"plan_type": "vip"})):
        r = await env.client.request(method, "/api/v1/user/777/subscription",
                                     headers=env.headers, json=body)
        assert r.status_code == 404, r.text
        assert r.json()["error"]["code"] == "user_not_found"
