"""The error envelope for every status, request ids, and the OpenAPI description."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi import APIRouter

from tests.integration.api.conftest import ApiEnv, close_env, make_settings, open_env
from yabot.settings import StorageSettings

boom = APIRouter()


@boom.get("/boom")
async def _boom() -> None:
    raise RuntimeError("secret internals: password=hunter2")


@pytest.fixture
async def env_with_boom(tmp_path: Path) -> AsyncIterator[ApiEnv]:
    env, _ = await open_env(make_settings(StorageSettings(
        sqlite_database_path=tmp_path / "yabot.db")), extra_routers=[boom])
    yield env
    await close_env(env)


async def test_unhandled_error_is_a_500_envelope_with_the_request_id(
        env_with_boom: ApiEnv) -> None:
    r = await env_with_boom.client.get("/boom", headers={"X-Request-ID": "req-500"})
    assert r.status_code == 500
    assert r.headers["x-request-id"] == "req-500"
    error = r.json()["error"]
    assert error["code"] == "internal_error"
    assert error["details"] == {"request_id": "req-500"}
    assert "req-500" in error["message"]
    assert "hunter2" not in r.text and "RuntimeError" not in r.text


async def test_request_id_is_generated_or_echoed(api_embedded: ApiEnv) -> None:
    r = await api_embedded.client.get("/health/live")
    generated = r.headers["x-request-id"]
    assert len(generated) == 32
    r = await api_embedded.client.get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = await api_embedded.client.get("/health/live", headers={"X-Request-ID": "bad id\t<x>"})
    assert r.headers["x-request-id"] not in ("bad id\t<x>", generated)


async def test_unknown_route_and_method(api_embedded: ApiEnv) -> None:
    env = api_embedded
    r = await env.client.get("/api/v1/nothing/here", headers=env.headers)
    assert r.status_code == 404
    assert "/api/v1/nothing/here" in r.json()["error"]["message"]
    r = await env.client.patch("/api/v1/user/1/state", headers=env.headers)
    assert r.status_code == 405
    assert r.json()["error"]["code"] == "method_not_allowed"
    r = await env.client.put("/api/v1/user/1/preferences", headers=env.headers,
                             content=b"{not json")
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "validation_error"


async def test_openapi_documents_every_operation_and_error(api_embedded: ApiEnv) -> None:
    spec = (await api_embedded.client.get("/openapi.json")).json()
    assert spec["openapi"].startswith("3.")
    operations = {(m.upper(), p) for p, item in spec["paths"].items() for m in item
                  if p.startswith("/api/v1")}
    assert operations == {
        ("GET", "/api/v1/user/{user_id}/state"), ("PUT", "/api/v1/user/{user_id}/preferences"),
        ("GET", "/api/v1/user/{user_id}/subscription"),
        ("PUT", "/api/v1/user/{user_id}/subscription"), ("DELETE", "/api/v1/user/{user_id}"),
        ("GET", "/api/v1/user/{user_id}/besitos"), ("POST", "/api/v1/user/{user_id}/besitos"),
        ("GET", "/api/v1/narrative/{fragment_id}"), ("GET", "/api/v1/events/dead-letters"),
        ("POST", "/api/v1/events/dead-letters/{dead_letter_id}/replay"),
        ("GET", "/api/v1/shop/items"), ("POST", "/api/v1/user/{user_id}/purchases"),
        ("GET", "/api/v1/user/{user_id}/inventory"),
        ("POST", "/api/v1/user/{user_id}/inventory/{item_id}/use"),
        ("GET", "/api/v1/user/{user_id}/achievements"),
        ("GET", "/api/v1/user/{user_id}/missions"), ("POST", "/api/v1/user/{user_id}/daily-gift"),
        ("GET", "/api/v1/ranking"), ("GET", "/api/v1/user/{user_id}/payments"),
        ("POST", "/api/v1/user/{user_id}/payments/{charge_id}/refund"),
        ("POST", "/api/v1/auctions"), ("GET", "/api/v1/auctions"),
        ("GET", "/api/v1/auctions/{auction_id}"), ("POST", "/api/v1/auctions/{auction_id}/bids"),
        ("POST", "/api/v1/broadcasts"), ("GET", "/api/v1/broadcasts/{broadcast_id}")}
    for path, item in spec["paths"].items():
        if not path.startswith("/api/v1"):
            continue
        for op in item.values():
            assert op["security"] == [{"HTTPBearer": []}]
            for status in ("401", "403", "422", "429", "500"):
                ref = op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorResponse"), (path, status)
