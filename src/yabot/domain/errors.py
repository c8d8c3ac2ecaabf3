"""Typed errors shared by every layer."""

from __future__ import annotations


class YabotError(Exception):
    """Base of the project's own errors."""


class SchemaError(YabotError):
    """The schema could not be created, or it is newer than this code."""


class SchemaNotReadyError(SchemaError):
    """The database is missing or its schema is older than this code: `yabot migrate`."""


class StoreUnavailableError(YabotError):
    """A store cannot be reached right now; the call failed fast instead of hanging."""

    def __init__(self, store: str, reason: str) -> None:
        self.store = store
        super().__init__(f"{store} is unavailable: {reason}")


class InvalidInputError(YabotError, ValueError):
    """Input the service refuses although its shape was valid (e.g. a text of only spaces)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(YabotError):
    """The named thing does not exist."""

    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key!r} not found")


class ConflictError(YabotError):
    """The write conflicts with existing state (duplicate key, insufficient balance, ...)."""


class InsufficientFundsError(ConflictError):
    """A spend or transfer would take a wallet below zero."""

    def __init__(self, user_id: str, balance: int, amount: int) -> None:
        self.user_id, self.balance, self.amount = user_id, balance, amount
        super().__init__(f"user {user_id!r} has {balance} besitos, cannot spend {amount}")


class ItemUnavailableError(ConflictError):
    """The user has none of the item to use, or it cannot be used or bought (HTTP 409)."""

    def __init__(self, user_id: str, item_id: str, reason: str) -> None:
        self.user_id, self.item_id, self.reason = user_id, item_id, reason
        super().__init__(f"item {item_id!r} for user {user_id!r}: {reason}")


class AlreadyClaimedError(ConflictError):
    """Today's daily gift was already claimed (HTTP 409)."""

    def __init__(self, user_id: str, day: str) -> None:
        self.user_id, self.day = user_id, day
        super().__init__(f"user {user_id!r} already claimed the gift of {day}")


class VipRequiredError(YabotError):
    """The resource needs an active VIP plan that the user does not have (HTTP 403)."""

    def __init__(self, user_id: str, resource: str) -> None:
        self.user_id, self.resource = user_id, resource
        super().__init__(f"{resource!r} needs an active VIP plan; user {user_id!r} has none")


class InvalidChoiceError(YabotError):
    """The choice does not belong to the user's current fragment (HTTP 409)."""

    def __init__(self, user_id: str, choice_id: str, fragment_id: str | None) -> None:
        self.user_id, self.choice_id, self.fragment_id = user_id, choice_id, fragment_id
        super().__init__(f"choice {choice_id!r} is not offered by fragment {fragment_id!r}")


class ContentError(YabotError):
    """A content pack failed validation; `problems` lists 'file: fragment: field: message'."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))
