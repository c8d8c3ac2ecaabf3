"""The economy page: besitos created and spent per day by source, and the money supply."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from yabot.admin.chart_economy import legend, stacked, supply_line
from yabot.admin.context import Operator, admin, render

router = APIRouter()
PERIODS = (7, 30, 90)


@router.get("/economy")
async def economy(request: Request, _op: Operator) -> Response:
    raw = request.query_params.get("days", "30")
    days = int(raw) if raw.isdigit() and int(raw) in PERIODS else 30
    flows = await admin(request).domain.economy_stats.daily(days)
    return render(request, "economy.html", days=days, periods=PERIODS, flows=flows,
                  legend=legend(flows), created=stacked(flows, "created"),
                  spent=stacked(flows, "spent"), supply=supply_line(flows),
                  created_total=sum(d.created_total for d in flows),
                  spent_total=sum(d.spent_total for d in flows))
