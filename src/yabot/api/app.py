"""create_app: the FastAPI application is just its routers, error handlers and middleware."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from yabot.api.errors import install_error_handlers
from yabot.api.routes import health
from yabot.observability.health import HealthService
from yabot.observability.metrics import Metrics

ROUTERS = [health.router]


def create_app(*, health_service: HealthService, metrics: Metrics) -> FastAPI:
    app = FastAPI(title="YABOT internal API", version="1.0.0")
    app.state.health = health_service
    app.state.metrics = metrics
    for router in ROUTERS:
        app.include_router(router)
    install_error_handlers(app)

    @app.middleware("http")
    async def _observe(request: Request,
                       call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        start = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        metrics.http_requests.labels(request.method, path, str(response.status_code)).inc()
        metrics.http_latency.labels(request.method, path).observe(time.perf_counter() - start)
        return response

    return app
