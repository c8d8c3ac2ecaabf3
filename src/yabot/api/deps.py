"""Annotated dependencies: routes get the wired services and the caller from `app.state`.

Every provider is `async def`: FastAPI runs plain `def` dependencies in a worker thread."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request, Security
from fastapi.security import HTTPAuthorizationCredentials

from yabot.api.auth import Authenticator, bearer_scheme, check_scope, required_scope
from yabot.api.tokens import Claims
from yabot.observability.health import HealthService
from yabot.observability.metrics import Metrics
from yabot.services.admin.dead_letters import DeadLetterService
from yabot.services.container import DomainServices
from yabot.services.narrative.service import NarrativeService
from yabot.services.subscriptions.service import SubscriptionService
from yabot.services.users.service import UserService
from yabot.services.wallet.service import BesitosService

USER_ID_PATTERN = r"^[0-9]{1,20}$"


async def _health(request: Request) -> HealthService:
    return request.app.state.health  # type: ignore[no-any-return]


async def _metrics(request: Request) -> Metrics:
    return request.app.state.metrics  # type: ignore[no-any-return]


async def _domain(request: Request) -> DomainServices:
    return request.app.state.domain  # type: ignore[no-any-return]


async def authenticated(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
) -> Claims:
    """Every `/api/v1` route: a valid token with the method's scope."""
    auth: Authenticator = request.app.state.auth
    claims = await auth.authenticate(request, credentials)
    check_scope(claims, required_scope(request))
    request.state.claims = claims
    return claims


async def admin(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
) -> Claims:
    """Dead letters: a valid token with the `admin` scope (whatever the method)."""
    auth: Authenticator = request.app.state.auth
    claims = await auth.authenticate(request, credentials)
    check_scope(claims, "admin")
    request.state.claims = claims
    return claims


HealthDep = Annotated[HealthService, Depends(_health)]
MetricsDep = Annotated[Metrics, Depends(_metrics)]
Domain = Annotated[DomainServices, Depends(_domain)]


async def _users(request: Request) -> UserService:
    return request.app.state.domain.users  # type: ignore[no-any-return]


async def _subscriptions(request: Request) -> SubscriptionService:
    return request.app.state.domain.subscriptions  # type: ignore[no-any-return]


async def _besitos(request: Request) -> BesitosService:
    return request.app.state.domain.besitos  # type: ignore[no-any-return]


async def _narrative(request: Request) -> NarrativeService:
    return request.app.state.domain.narrative  # type: ignore[no-any-return]


async def _dead_letters(request: Request) -> DeadLetterService:
    return request.app.state.domain.dead_letters  # type: ignore[no-any-return]


UsersDep = Annotated[UserService, Depends(_users)]
SubscriptionsDep = Annotated[SubscriptionService, Depends(_subscriptions)]
BesitosDep = Annotated[BesitosService, Depends(_besitos)]
NarrativeDep = Annotated[NarrativeService, Depends(_narrative)]
DeadLettersDep = Annotated[DeadLetterService, Depends(_dead_letters)]
UserId = Annotated[str, Path(pattern=USER_ID_PATTERN, max_length=20,
                             description="Telegram user id, digits only",
                             examples=["123456789"])]
