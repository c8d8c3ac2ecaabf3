"""What every repository shares: the open transaction a write joins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection


class Transaction(Protocol):
    """An open write transaction (the bus's `Publisher`, or a handler's context): statements
    run on its connection and commit together with the events it publishes."""

    @property
    def conn(self) -> AsyncConnection: ...


@dataclass(frozen=True)
class OwnTransaction:
    """A repository's own write transaction, shaped like the bus's `Publisher`."""

    conn: AsyncConnection
