"""JWT over HTTP: every way a token can be wrong is a 401 with `WWW-Authenticate: Bearer`;
a missing scope is a 403; RS256 with a generated key pair refuses HS/none confusion."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.integration.api.conftest import (
    SECRET,
    ApiEnv,
    bearer,
    close_env,
    hs_token,
    make_settings,
    open_env,
)
from yabot.api.tokens import PRIVATE_FILE, PUBLIC_FILE
from yabot.settings import JwtSettings, StorageSettings

STATE = "/api/v1/narrative/fragment_001"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(claims: dict[str, object]) -> str:
    return f"{_b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}." \
           f"{_b64(json.dumps(claims).encode())}."


def claims(**over: object) -> dict[str, object]:
    now = int(time.time())
    base: dict[str, object] = {"iss": "yabot-api", "aud": "yabot-internal", "sub": "t",
                               "iat": now, "exp": now + 300, "scope": ["read"]}
    return {**base, **over}


async def assert_401(env: ApiEnv, headers: dict[str, str]) -> None:
    r = await env.client.get(STATE, headers=headers)
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["error"]["code"] == "unauthorized"


async def test_bad_tokens_are_401(api_embedded: ApiEnv) -> None:
    now = int(time.time())
    other_key = "another-secret-0123456789abcdef-0123"
    bad = {
        "missing header": {},
        "not bearer": {"Authorization": f"Basic {hs_token()}"},
        "garbage": bearer("not.a.jwt"),
        "expired": bearer(hs_token(exp=now - 31, iat=now - 600)),
        "wrong aud": bearer(hs_token(aud="someone-else")),
        "wrong iss": bearer(hs_token(iss="evil")),
        "wrong key": bearer(jwt.encode(claims(), other_key, algorithm="HS256")),
        "alg none": bearer(unsigned(claims())),
        "no exp": bearer(hs_token(exp=None)),
        "no sub": bearer(hs_token(sub=None)),
        "no scope": bearer(hs_token(scope=None)),
        "scope not strings": bearer(jwt.encode(claims(scope=[1, 2]), SECRET,
                                               algorithm="HS256")),
        "issued in the future": bearer(hs_token(iat=now + 600, exp=now + 900)),
    }
    for name, headers in bad.items():
        try:
            await assert_401(api_embedded, headers)
        except AssertionError as exc:
            raise AssertionError(name) from exc


async def test_leeway_and_scope_forms(api_embedded: ApiEnv) -> None:
    now = int(time.time())
    env = api_embedded
    ok = [hs_token(exp=now - 5), hs_token("read write"),
          hs_token(["internal_api", "read", "write", "admin"])]
    for token in ok:
        assert (await env.client.get(STATE, headers=bearer(token))).status_code == 200


async def test_missing_scope_is_403(api_embedded: ApiEnv) -> None:
    env = api_embedded
    uid = await env.register(4001)
    read_only = bearer(hs_token(["read"]))
    assert (await env.client.get(f"/api/v1/user/{uid}/state",
                                 headers=read_only)).status_code == 200
    r = await env.client.put(f"/api/v1/user/{uid}/preferences", headers=read_only,
                             json={"theme": "dark"})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "insufficient_scope"
    assert "write" in r.json()["error"]["message"]
    write_only = bearer(hs_token(["write"]))
    assert (await env.client.get(f"/api/v1/user/{uid}/state",
                                 headers=write_only)).status_code == 403
    state = (await env.client.get(f"/api/v1/user/{uid}/state", headers=read_only)).json()
    assert state["preferences"]["theme"] == "default"


@pytest.fixture
async def rs_env(tmp_path: Path) -> AsyncIterator[ApiEnv]:
    settings = make_settings(StorageSettings(sqlite_database_path=tmp_path / "data" / "y.db"),
                             jwt_settings=JwtSettings(algorithm="RS256", secret=None,
                                                      private_key_path=None,
                                                      public_key_path=None))
    env, _ = await open_env(settings)
    yield env
    await close_env(env)


async def test_rs256_generated_keys_and_confusion(rs_env: ApiEnv, tmp_path: Path) -> None:
    data = tmp_path / "data"
    private_pem = (data / PRIVATE_FILE).read_bytes()
    public_pem = (data / PUBLIC_FILE).read_bytes()
    for name in (PRIVATE_FILE, PUBLIC_FILE):
        assert (data / name).stat().st_mode & 0o777 == 0o600
    good = jwt.encode(claims(), serialization.load_pem_private_key(private_pem, None),
                      algorithm="RS256")
    assert (await rs_env.client.get(STATE, headers=bearer(good))).status_code == 200
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = [jwt.encode(claims(), stranger, algorithm="RS256"), unsigned(claims()),
              _hs_with_public_key(public_pem), hs_token(["read"])]
    for token in forged:
        await assert_401(rs_env, bearer(token))


def _hs_with_public_key(public_pem: bytes) -> str:
    """The classic confusion attack: HS256 keyed with the server's RSA public key."""
    import hashlib
    import hmac

    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims()).encode())
    sig = hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{_b64(sig)}"
