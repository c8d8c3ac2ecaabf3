"""Map redis-py failures to the transport port's errors (connection-level → unavailable)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from redis.exceptions import (
    ConnectionError as RedisConnectionError,
)
from redis.exceptions import (
    RedisClusterException,
    RedisError,
    ResponseError,
)
from redis.exceptions import (
    TimeoutError as RedisTimeoutError,
)

from yabot.events.transports.base import TransportUnavailableError


@contextmanager
def unavailable(op: str, *, any_error: bool = False) -> Iterator[None]:
    """Map connection-level Redis failures (all failures if any_error) to the port's error."""
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError, RedisClusterException, OSError) as exc:
        raise TransportUnavailableError(_describe(op, exc)) from exc
    except ResponseError as exc:
        if any_error or _is_transient(exc):
            raise TransportUnavailableError(_describe(op, exc)) from exc
        raise
    except RedisError as exc:
        raise TransportUnavailableError(_describe(op, exc)) from exc


def _describe(op: str, exc: Exception) -> str:
    """Short error text (redis-py puts whole client reprs into some messages)."""
    return f"redis {op} failed: {type(exc).__name__}: {str(exc)[:160]}"


def _is_transient(exc: ResponseError) -> bool:
    text = str(exc)
    return text.startswith(("READONLY", "LOADING", "CLUSTERDOWN", "TRYAGAIN", "MASTERDOWN",
                            "OOM", "MOVED", "ASK"))


def is_nogroup(exc: ResponseError) -> bool:
    return str(exc).startswith("NOGROUP")


