"""HoldService: escrow on the ledger. A hold moves besitos from `balance` to `held`, a
release moves them back, a capture spends held besitos (release + spend in one commit).

Every call joins the caller's open transaction (`tx`), so a bid's hold and the release of
the bid it beat commit together with the auction row, or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from yabot.domain.events import BaseEvent
from yabot.domain.views import LedgerResult
from yabot.events.handler_context import Publisher
from yabot.services.wallet.service import BesitosService


class HoldStore(Protocol):
    """Wallet `held` moves (implemented by `storage/sql/repositories/ledger_holds.py`)."""

    async def user_exists(self, tx: Publisher, user_id: str) -> bool: ...

    async def require_user(self, tx: Publisher, user_id: str) -> None: ...

    async def lock(self, tx: Publisher, user_ids: Sequence[str]) -> None: ...

    async def shift(self, tx: Publisher, user_id: str, held_delta: int, reason: str,
                    key: str) -> tuple[int, int]: ...

    async def totals(self, user_id: str, *,
                     tx: Publisher | None = None) -> tuple[int, int]: ...


def _positive(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValueError(f"amount must be a positive integer, got {amount!r}")


class HoldService:
    def __init__(self, *, store: HoldStore, besitos: BesitosService) -> None:
        self.store, self.besitos = store, besitos

    async def user_exists(self, tx: Publisher, user_id: str) -> bool:
        """False once the user was deleted (their wallet, holds included, went with them)."""
        return await self.store.user_exists(tx, user_id)

    async def require_user(self, tx: Publisher, user_id: str) -> None:
        """NotFoundError("user") for a user without a profile."""
        await self.store.require_user(tx, user_id)

    async def lock(self, tx: Publisher, user_ids: Sequence[str]) -> None:
        """Lock the wallets a transaction will move (creating missing ones), in id order."""
        await self.store.lock(tx, user_ids)

    async def hold(self, tx: Publisher, user_id: str, amount: int, reason: str,
                   key: str) -> tuple[int, int]:
        """Hold `amount` of the balance; InsufficientFundsError beyond it. (balance, held)."""
        _positive(amount)
        return await self.store.shift(tx, user_id, amount, reason, key)

    async def release(self, tx: Publisher, user_id: str, amount: int, reason: str,
                      key: str) -> tuple[int, int]:
        """Give `amount` held back to the balance; ConflictError beyond what is held."""
        _positive(amount)
        return await self.store.shift(tx, user_id, -amount, reason, key)

    async def capture(self, tx: Publisher, user_id: str, amount: int, reason: str,
                      key: str, *, cause: BaseEvent | None = None) -> LedgerResult:
        """Spend `amount` held: a release then a spend (`besitos_spent`), one commit."""
        await self.release(tx, user_id, amount, reason, f"{key}:release")
        return await self.besitos.spend(user_id, amount, reason, key, tx=tx, cause=cause)

    async def totals(self, user_id: str) -> tuple[int, int]:
        """(balance, held): what the user can spend, and what open bids hold."""
        return await self.store.totals(user_id)
