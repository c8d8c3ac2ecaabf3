"""Bearer-token authentication and scope checks for `/api/v1`.

401 (with `WWW-Authenticate: Bearer`) for a missing, malformed, expired or wrongly signed
token or a wrong iss/aud; 403 for a missing scope; 429 with Retry-After once a client has
failed more than the limit within the window. A valid token is never refused by the
limiter, so a misbehaving neighbour behind the same address cannot lock a service out.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from time import time

from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from yabot.api.errors import ApiError
from yabot.api.tokens import Claims, KeyMaterial, TokenError, load_keys, verify_token
from yabot.logs import get_logger
from yabot.security.auth_failures import FailureLimiter, create_failure_limiter
from yabot.settings import Settings

log = get_logger(__name__)
bearer_scheme = HTTPBearer(auto_error=False, description="a JWT from `yabot token create`")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}
_CACHE_SIZE = 4096


@dataclass(kw_only=True)
class Authenticator:
    """Verifies tokens and counts failures per client."""

    keys: KeyMaterial
    settings: Settings
    limiter: FailureLimiter
    # tokens whose signature and claims checked out, until they expire (a calling service
    # sends the same token many times; verification is most of the auth cost)
    _verified: dict[str, Claims] = field(default_factory=dict)

    async def authenticate(self, request: Request,
                           credentials: HTTPAuthorizationCredentials | None) -> Claims:
        if credentials is None or credentials.scheme.lower() != "bearer":
            return await self._fail(request, "missing or malformed Authorization header; "
                                             "expected 'Bearer <JWT>'")
        token = credentials.credentials
        cached = self._verified.get(token)
        if cached is not None and cached.expires_at + self.settings.jwt.leeway_seconds > time():
            return cached
        try:
            claims = verify_token(token, self.keys, self.settings.jwt)
        except TokenError as exc:
            self._verified.pop(token, None)
            return await self._fail(request, str(exc))
        if len(self._verified) >= _CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = claims
        return claims

    async def _fail(self, request: Request, reason: str) -> Claims:
        client = request.client.host if request.client else "unknown"
        verdict = await self.limiter.record_failure(client)
        if verdict.failures == self.limiter.limit + 1:
            log.warning("ALERT: repeated authentication failures", client=client,
                        failures=verdict.failures, path=request.url.path, reason=reason)
        if verdict.blocked:
            raise ApiError(429, "too_many_auth_failures",
                           f"too many failed authentications; retry in "
                           f"{verdict.retry_after} s",
                           {"retry_after": verdict.retry_after},
                           headers={"Retry-After": str(verdict.retry_after)})
        raise ApiError(401, "unauthorized", f"authentication failed: {reason}",
                       headers=_CHALLENGE)

    async def aclose(self) -> None:
        await self.limiter.aclose()


def key_dir(settings: Settings) -> Path:
    """Where a generated RS256 pair lives: the data directory of the SQLite file."""
    return settings.storage.sqlite_database_path.parent


async def build_authenticator(settings: Settings) -> Authenticator:
    """Load (or generate, once) the keys off the event loop and build the limiter."""
    keys = await asyncio.to_thread(load_keys, settings.jwt, key_dir(settings))
    return Authenticator(keys=keys, settings=settings,
                         limiter=create_failure_limiter(settings.redis))


def required_scope(request: Request) -> str:
    """`read` for GET/HEAD, `write` for the rest; routes may demand more (`admin`)."""
    return "read" if request.method in ("GET", "HEAD", "OPTIONS") else "write"


def check_scope(claims: Claims, scope: str) -> None:
    if scope not in claims.scopes:
        raise ApiError(403, "insufficient_scope", f"this operation needs the '{scope}' scope",
                       {"required": scope, "granted": sorted(claims.scopes)})
