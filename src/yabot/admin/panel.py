"""build_admin_panel: the /admin sub-application over built services (mounted by server.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from yabot.admin.context import (
    SESSION_COOKIE,
    AdminContext,
    CsrfRejected,
    LoginRequired,
    admin,
    operator,
    render,
)
from yabot.admin.guards import Signer, load_or_create_key, security_headers
from yabot.admin.i18n import N_, localized_environments
from yabot.admin.routes import (
    auctions,
    auth,
    broadcasts,
    content,
    dashboard,
    economy,
    events,
    payments,
    users,
)
from yabot.domain.errors import NotFoundError, StoreUnavailableError
from yabot.observability.health import HealthService
from yabot.security.auth_failures import FailureLimiter, create_failure_limiter
from yabot.services.container import DomainServices
from yabot.settings import Settings

# a brute force spread over many addresses still hits one account: at most this many
# failures per operator name within the window, then that name is refused for the window
ACCOUNT_FAIL_LIMIT = 10
ACCOUNT_WINDOW = 900.0


@dataclass(kw_only=True)
class AdminPanel:
    app: FastAPI
    context: AdminContext

    async def aclose(self) -> None:
        await self.context.limiter.aclose()
        await self.context.account_limiter.aclose()


async def build_admin_panel(*, settings: Settings, domain: DomainServices,
                            health: HealthService, limiter: FailureLimiter | None = None,
                            account_limiter: FailureLimiter | None = None,
                            clock: Callable[[], datetime] | None = None,
                            prefix: str = "/admin") -> AdminPanel:
    """Load (or generate once) the session key off the loop and build the sub-app.
    `clock`: the accounts' clock (tests move time); the real one by default."""
    secret = settings.admin.session_secret
    key = (secret.get_secret_value().encode() if secret else await asyncio.to_thread(
        load_or_create_key, settings.storage.sqlite_database_path.parent))
    accounts = domain.admin_accounts if clock is None else domain.admin_accounts.with_clock(clock)
    templates = await asyncio.to_thread(localized_environments, jinja2.PackageLoader(
        "yabot.admin", "templates"), {"when": _when})
    ctx = AdminContext(domain=domain, accounts=accounts, queries=domain.admin_queries,
                       health=health, limiter=limiter or create_failure_limiter(settings.redis),
                       account_limiter=account_limiter or create_failure_limiter(
                           settings.redis, limit=ACCOUNT_FAIL_LIMIT, window=ACCOUNT_WINDOW),
                       signer=Signer(key), templates=templates,
                       tls=settings.api.tls_certfile is not None or settings.admin.secure_cookie,
                       prefix=prefix)
    return AdminPanel(app=create_admin_app(ctx), context=ctx)


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


def create_admin_app(ctx: AdminContext) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.admin = ctx
    for module in (auth, dashboard, users, events, content, economy, auctions, payments,
                   broadcasts):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(packages=[("yabot.admin", "static")]), name="static")
    app.middleware("http")(security_headers)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(CsrfRejected, _csrf_rejected)
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(StoreUnavailableError, _unavailable)
    app.add_exception_handler(HTTPException, _http_error)
    return app


async def _login_required(request: Request, _exc: Exception) -> Response:
    response = admin(request).redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path=admin(request).prefix)
    return response


async def _csrf_rejected(request: Request, _exc: Exception) -> Response:
    return render(request, "message.html", status=403, message_key=N_("csrf_failed"))


async def _not_found(request: Request, _exc: Exception) -> Response:
    return render(request, "message.html", status=404, message_key=N_("error_not_found"))


async def _unavailable(request: Request, _exc: Exception) -> Response:
    return render(request, "message.html", status=503, message_key=N_("error_unavailable"))


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown pages: the login page for strangers, a 404 page for operators."""
    try:
        await operator(request)
    except LoginRequired as missing:
        return await _login_required(request, missing)
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    return render(request, "message.html", status=status, message_key=N_("error_not_found"))
