"""Prometheus metrics. A registry per application: no global collectors.

Names follow the seed's list: `yabot_db_operation_seconds{operation}` (create_user,
get_user_context, update_user_state, ...), `yabot_event_publish_latency_seconds`,
`yabot_event_processing_time_seconds{group}`, `yabot_failed_events_total{group}`,
`yabot_request_duration_seconds`, `yabot_request_count_total`, `yabot_error_rate`; plus the
outbox backlog, dead letters, Bot API calls and webhook updates.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

FAST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)
ERROR_WINDOW_S = 60.0


class _ErrorWindow:
    """Share of responses >= 500 over the last minute (the `yabot_error_rate` gauge)."""

    def __init__(self) -> None:
        # one [second, responses, failed] bucket per second: O(1) per request, bounded size
        self._buckets: deque[list[int]] = deque()
        self._total = self._failed = 0

    def add(self, failed: bool, now: float) -> float:
        second = int(now)
        if not self._buckets or self._buckets[-1][0] != second:
            self._buckets.append([second, 0, 0])
        bucket = self._buckets[-1]
        bucket[1] += 1
        bucket[2] += failed
        self._total += 1
        self._failed += failed
        while self._buckets[0][0] <= second - ERROR_WINDOW_S:
            _, total, old_failed = self._buckets.popleft()
            self._total -= total
            self._failed -= old_failed
        return self._failed / self._total


@dataclass(frozen=True, kw_only=True)
class Metrics:
    registry: CollectorRegistry
    http_requests: Counter
    http_latency: Histogram
    http_errors: Counter
    error_rate: Gauge
    component_up: Gauge
    db_operation: Histogram
    event_publish: Histogram
    event_processing: Histogram
    failed_events: Counter
    outbox_backlog: Gauge
    dead_letters: Gauge
    bot_api_calls: Counter
    webhook_updates: Counter
    _errors: _ErrorWindow = field(default_factory=_ErrorWindow)
    _refreshers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def add_refresher(self, refresh: Callable[[], Awaitable[None]]) -> None:
        """Register a coroutine that sets gauges read from the stores before each scrape."""
        self._refreshers.append(refresh)

    async def refresh(self) -> None:
        """Run the refreshers; one that fails (a store down) leaves its gauges as they were,
        and readiness says why."""
        await asyncio.gather(*(refresh() for refresh in self._refreshers),
                             return_exceptions=True)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_latency.labels(method, route).observe(seconds)
        if status >= 500:
            self.http_errors.labels(method, route).inc()
        self.error_rate.set(self._errors.add(status >= 500, time.monotonic()))



class _Measured(Protocol):
    metrics: Metrics | None


S = TypeVar("S", bound=_Measured)
P = ParamSpec("P")
T = TypeVar("T")


def db_operation(name: str) -> Callable[[Callable[Concatenate[S, P], Awaitable[T]]],
                                        Callable[Concatenate[S, P], Awaitable[T]]]:
    """Method decorator: time the call (failed ones too) in `yabot_db_operation_seconds`
    when the service was given metrics."""
    def wrap(fn: Callable[Concatenate[S, P], Awaitable[T]],
             ) -> Callable[Concatenate[S, P], Awaitable[T]]:
        @functools.wraps(fn)
        async def timed(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
            if self.metrics is None:
                return await fn(self, *args, **kwargs)
            start = time.perf_counter()
            try:
                return await fn(self, *args, **kwargs)
            finally:
                self.metrics.db_operation.labels(name).observe(time.perf_counter() - start)
        return timed
    return wrap


def create_metrics() -> Metrics:
    r = CollectorRegistry()
    return Metrics(
        registry=r,
        http_requests=Counter("yabot_request_count", "HTTP requests served",
                              ["method", "route", "status"], registry=r),
        http_latency=Histogram("yabot_request_duration_seconds", "HTTP request duration",
                               ["method", "route"], registry=r, buckets=FAST_BUCKETS),
        http_errors=Counter("yabot_request_errors", "HTTP responses with status >= 500",
                            ["method", "route"], registry=r),
        error_rate=Gauge("yabot_error_rate", "share of HTTP responses >= 500, last 60 s",
                         registry=r),
        component_up=Gauge("yabot_component_up", "1 when a component is reachable",
                           ["component"], registry=r),
        db_operation=Histogram("yabot_db_operation_seconds", "domain store operations",
                               ["operation"], registry=r, buckets=FAST_BUCKETS),
        event_publish=Histogram("yabot_event_publish_latency_seconds",
                                "publish call until the outbox commit", registry=r,
                                buckets=FAST_BUCKETS),
        event_processing=Histogram("yabot_event_processing_time_seconds",
                                   "handling of one batch of events by a consumer group",
                                   ["group"], registry=r, buckets=FAST_BUCKETS),
        failed_events=Counter("yabot_failed_events", "handler failures (each attempt)",
                              ["group"], registry=r),
        outbox_backlog=Gauge("yabot_outbox_backlog", "events not yet sent to the transport",
                             registry=r),
        dead_letters=Gauge("yabot_dead_letters", "dead letters not yet replayed", registry=r),
        bot_api_calls=Counter("yabot_bot_api_calls", "Telegram Bot API calls",
                              ["method", "status"], registry=r),
        webhook_updates=Counter("yabot_webhook_updates", "Telegram updates received",
                                ["type"], registry=r),
    )
