"""What the wallet needs from storage (implemented by `storage/sql/repositories/wallet.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from yabot.domain.views import LedgerEntry, WalletView
from yabot.events.handler_context import Publisher


class LedgerStore(Protocol):
    """Wallet rows and the append-only ledger. `tx` methods run in that open transaction."""

    races: tuple[type[BaseException], ...]  # "a concurrent writer used the key first"

    async def entry_by_key(self, tx: Publisher, key: str, *,
                           after_lock: bool = False) -> LedgerEntry | None: ...

    async def require_users(self, tx: Publisher, user_ids: Sequence[str]) -> None: ...

    async def lock_wallets(self, tx: Publisher, user_ids: Sequence[str]) -> None: ...

    async def balance(self, user_id: str, *, tx: Publisher | None = None) -> int: ...

    async def move(self, tx: Publisher, user_id: str, amount: int, reason: str,
                   key: str) -> LedgerEntry: ...

    async def wallet(self, user_id: str, limit: int) -> WalletView: ...
