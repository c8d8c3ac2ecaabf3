"""Hostile requests to the API: time claims that are not numbers, and 405s that name every
method the path serves."""

from __future__ import annotations

import time

import pytest

from tests.integration.api.conftest import ApiEnv, bearer, hs_token

LATER = int(time.time()) + 3600


@pytest.mark.parametrize("claim", [{"exp": str(LATER)}, {"iat": str(int(time.time()))},
                                   {"nbf": "0"}, {"exp": [LATER]}, {"exp": True},
                                   {"iat": {"t": 1}}])
async def test_time_claims_must_be_numbers(api_embedded: ApiEnv, claim: dict[str, object]
                                           ) -> None:
    r = await api_embedded.client.get("/api/v1/narrative/fragment_001",
                                      headers=bearer(hs_token(**claim)))
    assert r.status_code == 401, r.text
    assert r.json()["error"]["code"] == "unauthorized"
    assert r.headers["www-authenticate"].startswith("Bearer")


async def test_numeric_time_claims_still_pass(api_embedded: ApiEnv) -> None:
    now = int(time.time())
    token = hs_token(iat=now - 1.5, exp=now + 60.25, nbf=now - 10)
    r = await api_embedded.client.get("/api/v1/narrative/fragment_001", headers=bearer(token))
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(("path", "method", "allowed"), [
    ("/api/v1/user/1/besitos", "DELETE", {"GET", "POST"}),
    ("/api/v1/user/1/subscription", "POST", {"GET", "PUT"}),
    ("/api/v1/user/1/state", "PATCH", {"GET"}),
])
async def test_405_lists_every_allowed_method(api_embedded: ApiEnv, path: str, method: str,
                                              allowed: set[str]) -> None:
    r = await api_embedded.client.request(method, path, headers=api_embedded.headers)
    assert r.status_code == 405
    assert r.json()["error"]["code"] == "method_not_allowed"
    assert {m.strip() for m in r.headers["allow"].split(",")} == allowed
