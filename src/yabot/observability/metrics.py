"""Prometheus metrics. A registry per application: no global collectors."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass(frozen=True, kw_only=True)
class Metrics:
    registry: CollectorRegistry
    http_requests: Counter
    http_latency: Histogram
    component_up: Gauge


def create_metrics() -> Metrics:
    registry = CollectorRegistry()
    return Metrics(
        registry=registry,
        http_requests=Counter("yabot_http_requests", "HTTP requests served",
                              ["method", "route", "status"], registry=registry),
        http_latency=Histogram("yabot_http_request_seconds", "HTTP request latency",
                               ["method", "route"], registry=registry,
                               buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                        0.5, 1, 2.5)),
        component_up=Gauge("yabot_component_up", "1 when a component is reachable",
                           ["component"], registry=registry),
    )
