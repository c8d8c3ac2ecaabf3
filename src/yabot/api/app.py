"""create_app: the FastAPI application is just its routers, error handlers and middleware."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI

from yabot.api.auth import Authenticator
from yabot.api.errors import install_error_handlers
from yabot.api.middleware import RequestContextMiddleware
from yabot.api.routes import (
    auctions,
    besitos,
    broadcasts,
    economy,
    events,
    health,
    narrative,
    payments,
    shop,
    subscriptions,
    users,
)
from yabot.observability.health import HealthService
from yabot.observability.metrics import Metrics
from yabot.services.container import DomainServices

API_PREFIX = "/api/v1"
ROUTERS = [health.router]
API_ROUTERS = [users.router, subscriptions.router, besitos.router, narrative.router,
               events.router, shop.router, economy.router, auctions.router,
               payments.router, broadcasts.router]

DESCRIPTION = """Internal API of YABOT for other services (admin panel, content tool,
analytics). Every `/api/v1` route needs `Authorization: Bearer <JWT>` (`yabot token
create`): scope `read` for GET, `write` for PUT/POST/DELETE, `admin` for dead letters.
Errors answer `{"error": {"code", "message", "details"}}`."""


def create_app(*, services: DomainServices, auth: Authenticator, health_service: HealthService,
               metrics: Metrics, extra_routers: Sequence[APIRouter] = ()) -> FastAPI:
    """The app over built services; `extra_routers` (e.g. the Telegram webhook) as-is."""
    app = FastAPI(title="YABOT internal API", version="1.0.0", description=DESCRIPTION)
    app.state.health = health_service
    app.state.metrics = metrics
    app.state.domain = services
    app.state.auth = auth
    for router in ROUTERS:
        app.include_router(router)
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    for router in extra_routers:
        app.include_router(router)
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    return app
