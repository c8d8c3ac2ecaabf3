"""Which event a failed batch failed on: the processor counts that call as an attempt."""

from __future__ import annotations


class HandlerError(Exception):
    """A handler raised while handling `event_id` (the original is `error`)."""

    def __init__(self, event_id: str, error: Exception) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.event_id, self.error = event_id, error


def describe(exc: Exception) -> str:
    if isinstance(exc, HandlerError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
