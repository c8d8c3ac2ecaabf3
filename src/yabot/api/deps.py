"""Annotated dependencies: routes get the wired services from `app.state`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from yabot.observability.health import HealthService
from yabot.observability.metrics import Metrics


def _health(request: Request) -> HealthService:
    return request.app.state.health  # type: ignore[no-any-return]


def _metrics(request: Request) -> Metrics:
    return request.app.state.metrics  # type: ignore[no-any-return]


HealthDep = Annotated[HealthService, Depends(_health)]
MetricsDep = Annotated[Metrics, Depends(_metrics)]
