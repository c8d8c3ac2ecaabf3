"""Authenticator: verified tokens are reused only until they expire; failures count."""

from __future__ import annotations

import time

import jwt
import pytest
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import SecretStr
from starlette.requests import Request

from yabot.api.auth import Authenticator, check_scope, required_scope
from yabot.api.errors import ApiError
from yabot.api.tokens import Claims, load_keys
from yabot.security.auth_failures import MemoryFailureLimiter
from yabot.settings import (
    JwtSettings,
    RedisSettings,
    Settings,
    StorageSettings,
)

SECRET = "unit-secret-0123456789abcdef-0123456789"


def authenticator(limit: int = 20) -> Authenticator:
    jwt_settings = JwtSettings(algorithm="HS256", secret=SecretStr(SECRET))
    settings = Settings.of(jwt=jwt_settings, redis=RedisSettings(url=None, sentinels=None))
    return Authenticator(keys=load_keys(jwt_settings, StorageSettings().sqlite_database_path),
                         settings=settings, limiter=MemoryFailureLimiter(limit=limit))


def request(method: str = "GET") -> Request:
    return Request({"type": "http", "method": method, "path": "/api/v1/x", "headers": [],
                    "client": ("10.1.1.1", 5000), "query_string": b""})


def bearer(token: str) -> HTTPAuthorizationCredentials:
    return HTTPAuthorizationCredentials(scheme="Bearer", credentials=token)


def token(exp_in: int) -> str:
    now = int(time.time())
    return jwt.encode({"iss": "yabot-api", "aud": "yabot-internal", "sub": "svc", "iat": now,
                       "exp": now + exp_in, "scope": "read"}, SECRET, algorithm="HS256")


async def test_cached_token_is_refused_once_expired() -> None:
    auth = authenticator()
    good = token(300)
    claims = await auth.authenticate(request(), bearer(good))
    assert claims.subject == "svc"
    # pretend the cached entry has expired long ago: it must be verified again (and fail)
    auth._verified[good] = Claims(subject="svc", scopes=frozenset({"read"}),
                                  expires_at=int(time.time()) - 120)
    assert (await auth.authenticate(request(), bearer(good))).expires_at > time.time()
    expired = token(-120)
    with pytest.raises(ApiError) as info:
        await auth.authenticate(request(), bearer(expired))
    assert info.value.status == 401 and info.value.headers == {"WWW-Authenticate": "Bearer"}
    assert expired not in auth._verified


async def test_failures_turn_into_429_after_the_limit() -> None:
    auth = authenticator(limit=2)
    statuses = []
    for _ in range(3):
        with pytest.raises(ApiError) as info:
            await auth.authenticate(request(), None)
        statuses.append(info.value.status)
    assert statuses == [401, 401, 429]
    assert info.value.headers is not None and int(info.value.headers["Retry-After"]) >= 1


def test_scopes_per_method() -> None:
    assert [required_scope(request(m)) for m in ("GET", "PUT", "POST", "DELETE")] == [
        "read", "write", "write", "write"]
    claims = Claims(subject="s", scopes=frozenset({"read"}), expires_at=0)
    check_scope(claims, "read")
    with pytest.raises(ApiError) as info:
        check_scope(claims, "admin")
    assert info.value.status == 403
