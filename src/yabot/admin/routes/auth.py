"""Log in and out. Failed logins count against the shared auth-failure limiter."""

from __future__ import annotations

import secrets
import time

from fastapi import APIRouter, Request
from fastapi.responses import Response

from yabot.admin.context import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    CsrfRejected,
    admin,
    checked_form,
    render,
)
from yabot.admin.guards import same
from yabot.admin.i18n import N_
from yabot.logs import get_logger
from yabot.services.admin.accounts import USERNAME

router = APIRouter()
log = get_logger(__name__)


def _login_page(request: Request, *, status: int = 200, error: str | None = None,
                seconds: int = 0) -> Response:
    ctx = admin(request)
    nonce = secrets.token_urlsafe(16)
    response = render(request, "login.html", status=status, login_csrf=ctx.signer.login_csrf(
        nonce), error=error, seconds=seconds)
    response.set_cookie(LOGIN_COOKIE, ctx.signer.sign(nonce), httponly=True,
                        samesite="strict", secure=ctx.secure(request), path=ctx.prefix,
                        max_age=3600)
    return response


@router.get("/login")
async def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
async def login(request: Request) -> Response:
    ctx = admin(request)
    form = await request.form()
    nonce = ctx.signer.unsign(request.cookies.get(LOGIN_COOKIE))
    if nonce is None or not same(form.get("csrf_token"), ctx.signer.login_csrf(nonce)):
        raise CsrfRejected
    client = request.client.host if request.client else "unknown"
    wait = ctx.blocked.get(client, 0.0) - time.monotonic()
    if wait > 0:
        return _refused(request, int(wait) + 1)
    username, password = form.get("username"), form.get("password")
    shown = username if isinstance(username, str) and USERNAME.match(username) else "<invalid>"
    wait = ctx.blocked_accounts.get(shown, 0.0) - time.monotonic()
    if wait > 0:
        return _refused(request, int(wait) + 1)
    if (isinstance(username, str) and isinstance(password, str)
            and await ctx.accounts.verify(username, password)):
        return await _open(request, username)
    verdict = await ctx.limiter.record_failure("admin:" + client)
    account = await ctx.account_limiter.record_failure("admin-account:" + shown)
    log.warning("ALERT: admin panel login failed", client=client, username=shown,
                failures=verdict.failures, account_failures=account.failures)
    if account.blocked:
        if len(ctx.blocked_accounts) > 10_000:
            ctx.blocked_accounts.clear()
        ctx.blocked_accounts[shown] = time.monotonic() + account.retry_after
        log.warning("ALERT: admin account locked after failures from many addresses",
                    username=shown, seconds=account.retry_after)
        return _refused(request, account.retry_after)
    if verdict.blocked:
        if len(ctx.blocked) > 10_000:
            ctx.blocked.clear()
        ctx.blocked[client] = time.monotonic() + verdict.retry_after
        return _refused(request, verdict.retry_after)
    return _login_page(request, status=401, error=N_("login_failed"))


def _refused(request: Request, seconds: int) -> Response:
    response = _login_page(request, status=429, error=N_("login_blocked"), seconds=seconds)
    response.headers["Retry-After"] = str(seconds)
    return response


async def _open(request: Request, username: str) -> Response:
    ctx = admin(request)
    token, _ = await ctx.accounts.open_session(username)
    await ctx.accounts.audit(username, "login")
    log.info("admin panel login", username=username)
    response = ctx.redirect("/")
    response.set_cookie(SESSION_COOKIE, ctx.signer.sign(token), httponly=True,
                        samesite="strict", secure=ctx.secure(request), path=ctx.prefix,
                        max_age=int(ctx.accounts.session_ttl.total_seconds()))
    response.delete_cookie(LOGIN_COOKIE, path=ctx.prefix)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    ctx = admin(request)
    session, _ = await checked_form(request)
    await ctx.accounts.close_session(request.state.session_token)
    await ctx.accounts.audit(session.username, "logout")
    response = ctx.redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path=ctx.prefix)
    return response
