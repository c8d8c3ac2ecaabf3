"""GET state, PUT preferences and DELETE user against real stores."""

from __future__ import annotations

from tests.integration.api.conftest import ApiEnv


async def test_state_of_a_registered_user(api: ApiEnv) -> None:
    uid = await api.register(5001)
    r = await api.client.get(f"/api/v1/user/{uid}/state", headers=api.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["user_id"] == uid
    assert body["current_state"]["menu_context"] == "main_menu"
    assert body["preferences"] == {"language": "es", "notifications_enabled": True,
                                   "theme": "default"}


async def test_unknown_user_is_a_404_naming_the_user(api: ApiEnv) -> None:
    r = await api.client.get("/api/v1/user/999999/state", headers=api.headers)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "user_not_found"
    assert "999999" in r.json()["error"]["message"]


async def test_user_id_must_be_a_short_numeric_string(api_embedded: ApiEnv) -> None:
    for bad in ("abc", "12a", "1" * 21, "-5"):
        r = await api_embedded.client.get(f"/api/v1/user/{bad}/state",
                                          headers=api_embedded.headers)
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["error"]["details"][0]["field"] == "path.user_id"


async def test_preferences_partial_update_returns_and_stores_the_whole(api: ApiEnv) -> None:
    uid = await api.register(5002)
    r = await api.client.put(f"/api/v1/user/{uid}/preferences", headers=api.headers,
                             json={"theme": "dark"})
    assert r.status_code == 200, r.text
    assert r.json() == {"language": "es", "notifications_enabled": True, "theme": "dark"}
    r = await api.client.put(f"/api/v1/user/{uid}/preferences", headers=api.headers,
                             json={"language": "en", "notifications_enabled": False})
    assert r.json() == {"language": "en", "notifications_enabled": False, "theme": "dark"}
    state = (await api.client.get(f"/api/v1/user/{uid}/state", headers=api.headers)).json()
    assert state["preferences"] == r.json()


async def test_preferences_reject_unknown_keys_bad_types_and_empty(api_embedded: ApiEnv) -> None:
    env = api_embedded
    uid = await env.register(5003)
    url = f"/api/v1/user/{uid}/preferences"
    cases = [({"colour": "red"}, "body.colour"), ({"notifications_enabled": "maybe"},
             "body.notifications_enabled"), ({"language": None}, "body.language"),
             ({"language": "Spanish!"}, "body.language"), ({}, "body")]
    for body, field in cases:
        r = await env.client.put(url, headers=env.headers, json=body)
        assert r.status_code == 422, (body, r.text)
        assert field in {d["field"] for d in r.json()["error"]["details"]}, r.json()
    prefs = (await env.client.get(f"/api/v1/user/{uid}/state", headers=env.headers)).json()
    assert prefs["preferences"]["language"] == "es"  # nothing was written


async def test_preferences_of_unknown_user_is_404(api_embedded: ApiEnv) -> None:
    r = await api_embedded.client.put("/api/v1/user/424242/preferences",
                                      headers=api_embedded.headers, json={"theme": "dark"})
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "user_not_found"


async def test_delete_removes_the_user_and_publishes_with_the_request_id(api: ApiEnv) -> None:
    uid = await api.register(5004)
    r = await api.client.delete(f"/api/v1/user/{uid}",
                                headers={**api.headers, "X-Request-ID": "req-delete-5004"})
    assert r.status_code == 204
    assert r.headers["x-request-id"] == "req-delete-5004"
    assert (await api.client.get(f"/api/v1/user/{uid}/state",
                                 headers=api.headers)).status_code == 404
    assert (await api.client.get(f"/api/v1/user/{uid}/subscription",
                                 headers=api.headers)).status_code == 404
    deleted = await api.events("user_deleted", uid)
    assert [e["correlation_id"] for e in deleted] == ["req-delete-5004"]
    again = await api.client.delete(f"/api/v1/user/{uid}", headers=api.headers)
    assert again.status_code == 404
