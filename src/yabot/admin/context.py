"""What every page needs: the services, the operator's session, CSRF checks, rendering."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

import jinja2
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import FormData

from yabot.admin.guards import Signer, same
from yabot.admin.i18n import N_, pick_language
from yabot.observability.health import HealthService
from yabot.security.auth_failures import FailureLimiter
from yabot.services.admin.accounts import AdminAccountService, OperatorSession
from yabot.services.admin.queries import AdminQueries
from yabot.services.container import DomainServices

SESSION_COOKIE = "yabot_admin"
LOGIN_COOKIE = "yabot_admin_login"


class LoginRequired(Exception):
    """No live session: the handler redirects to the login page."""


class CsrfRejected(Exception):
    """A POST without the right `csrf_token`: 403, nothing changed."""


@dataclass(kw_only=True)
class AdminContext:
    domain: DomainServices
    accounts: AdminAccountService
    queries: AdminQueries
    health: HealthService
    limiter: FailureLimiter  # failed logins per client address
    account_limiter: FailureLimiter  # failed logins per operator name, from any address
    signer: Signer
    templates: Mapping[str, jinja2.Environment]  # by language
    tls: bool
    prefix: str
    blocked: dict[str, float] = field(default_factory=dict)  # client -> block end
    blocked_accounts: dict[str, float] = field(default_factory=dict)  # username -> end

    def secure(self, request: Request) -> bool:
        return self.tls or request.url.scheme == "https"

    def redirect(self, path: str) -> RedirectResponse:
        return RedirectResponse(self.prefix + path, status_code=303)


def admin(request: Request) -> AdminContext:
    ctx: AdminContext = request.app.state.admin
    return ctx


async def operator(request: Request) -> OperatorSession:
    """Dependency: the logged-in operator, or LoginRequired."""
    ctx = admin(request)
    token = ctx.signer.unsign(request.cookies.get(SESSION_COOKIE))
    session = await ctx.accounts.session(token) if token else None
    if session is None:
        raise LoginRequired
    request.state.operator = session
    request.state.session_token = token
    return session


Operator = Annotated[OperatorSession, Depends(operator)]


async def checked_form(request: Request) -> tuple[OperatorSession, FormData]:
    """For POSTs: the operator and the form, once its `csrf_token` matches the session's."""
    session = await operator(request)
    form = await request.form()
    if not same(form.get("csrf_token"), session.csrf_token):
        raise CsrfRejected
    return session, form


def render(request: Request, template: str, *, status: int = 200,
           **values: Any) -> HTMLResponse:
    """Render a page (autoescaped) in the browser's language."""
    ctx = admin(request)
    lang = pick_language(request.headers.get("accept-language"))
    session: OperatorSession | None = getattr(request.state, "operator", None)
    html = ctx.templates[lang].get_template(template).render(
        lang=lang, base=ctx.prefix, operator=session,
        csrf_token=session.csrf_token if session else "", path=request.url.path, **values)
    return HTMLResponse(html, status_code=status)


DONE = {"subscription": N_("done_subscription"), "besitos": N_("done_besitos"),
        "deleted": N_("done_deleted"), "replayed": N_("done_replayed"),
        "broadcast": N_("done_broadcast")}
ERRORS = {"invalid": N_("error_invalid"), "insufficient_funds": N_("error_insufficient_funds"),
          "not_found": N_("error_not_found"), "already_replayed": N_("error_already_replayed"),
          "unavailable": N_("error_unavailable")}


def flash(request: Request) -> tuple[str | None, str | None]:
    """(done, error) message keys from the query string, known keys only."""
    return (DONE.get(request.query_params.get("done") or ""),
            ERRORS.get(request.query_params.get("error") or ""))
