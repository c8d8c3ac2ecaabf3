"""The dashboard (totals, events per minute, backlog, health) and the audit page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from yabot.admin.chart import bar_chart
from yabot.admin.context import Operator, admin, render

router = APIRouter()


async def _health(request: Request) -> tuple[list[dict[str, Any]], Any]:
    """Component rows and the outbox backlog, from the same checks as /health/ready."""
    _ready, body = await admin(request).health.check()
    rows, backlog = [], None
    for name, comp in body["components"].items():
        detail = comp.get("detail", {})
        backlog = detail.get("outbox_backlog", backlog)
        rows.append({"name": name, "ok": comp.get("status") == "up",
                     "backend": comp.get("backend", ""), "error": comp.get("error") or ""})
    return rows, backlog


@router.get("/")
async def dashboard(request: Request,
                    _op: Operator) -> Response:
    ctx = admin(request)
    totals = await ctx.queries.totals()
    chart = bar_chart(await ctx.queries.events_per_minute())
    health, backlog = await _health(request)
    return render(request, "dashboard.html", totals=totals, chart=chart, health=health,
                  backlog=backlog, audit=await ctx.accounts.recent_audit(limit=10))


@router.get("/partials/totals")
async def totals_partial(request: Request,
                         _op: Operator) -> Response:
    """The totals cards alone, for the dashboard's periodic refresh (admin.js)."""
    ctx = admin(request)
    health, backlog = await _health(request)
    return render(request, "totals.html", totals=await ctx.queries.totals(),
                  health=health, backlog=backlog)


@router.get("/audit")
async def audit(request: Request, _op: Operator) -> Response:
    return render(request, "audit.html",
                  audit=await admin(request).accounts.recent_audit(limit=200))
