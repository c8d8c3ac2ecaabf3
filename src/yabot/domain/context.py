"""Request-scoped context: the correlation id that new events inherit.

The API sets it from `X-Request-ID`, the bot from the update; events built while it is set
take it as their `correlation_id` (see `domain/events.py`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_correlation_id: ContextVar[str | None] = ContextVar("yabot_correlation_id", default=None)


def current_correlation_id() -> str:
    """The id set for this request or update, or a fresh one."""
    return _correlation_id.get() or uuid.uuid4().hex


@contextmanager
def correlation(correlation_id: str) -> Iterator[None]:
    """Make events built inside this block carry `correlation_id`."""
    token = _correlation_id.set(correlation_id)
    try:
        yield
    finally:
        _correlation_id.reset(token)
