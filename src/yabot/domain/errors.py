"""Typed errors shared by every layer."""

from __future__ import annotations


class YabotError(Exception):
    """Base of the project's own errors."""


class SchemaError(YabotError):
    """The schema could not be created, or it is newer than this code."""


class StoreUnavailableError(YabotError):
    """A store cannot be reached right now; the call failed fast instead of hanging."""

    def __init__(self, store: str, reason: str) -> None:
        self.store = store
        super().__init__(f"{store} is unavailable: {reason}")


class NotFoundError(YabotError):
    """The named thing does not exist."""

    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key!r} not found")


class ConflictError(YabotError):
    """The write conflicts with existing state (duplicate key, insufficient balance, ...)."""
