"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from yabot.api.deps import HealthDep, MetricsDep
from yabot.api.errors import error_response

router = APIRouter(tags=["operations"])


@router.get("/health/live")
async def live() -> dict[str, Any]:
    return {"status": "alive"}


@router.get("/health/ready", responses={503: {"description": "a component is down"}})
async def ready(health: HealthDep, metrics: MetricsDep) -> JSONResponse:
    ok, body = await health.check()
    for name, component in body["components"].items():
        metrics.component_up.labels(name).set(1 if component["status"] == "up" else 0)
    if ok:
        return JSONResponse(body)
    failing = sorted(n for n, c in body["components"].items() if c["status"] != "up")
    return error_response(503, "not_ready", f"not ready: {', '.join(failing)} down",
                          {"failing": failing, **body})


@router.get("/metrics", response_class=Response)
async def metrics_endpoint(request: Request, metrics: MetricsDep) -> Response:
    await metrics.refresh()  # gauges read from the stores: outbox backlog, dead letters
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
