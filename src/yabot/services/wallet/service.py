"""BesitosService: an append-only ledger; the wallet balance moves in the same transaction.

Every operation runs in one relational transaction: the ledger entry (unique idempotency
key), the conditional wallet update (`balance + amount >= 0`, backed by a CHECK) and the
`besitos_awarded`/`besitos_spent` outbox row commit together, or not at all. Pass `tx` (a
`bus.transaction()` publisher or a handler's context) to run inside an open transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from yabot.domain.errors import ConflictError
from yabot.domain.events import BaseEvent, BesitosAwarded, BesitosPayload, BesitosSpent
from yabot.domain.views import LedgerEntry, LedgerResult, WalletView
from yabot.events.bus import EventBus
from yabot.events.handler_context import Publisher
from yabot.events.sequencing import publish_sequenced
from yabot.services.wallet.ports import LedgerStore

T = TypeVar("T")


def _positive(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValueError(f"amount must be a positive integer, got {amount!r}")


class BesitosService:
    def __init__(self, *, ledger: LedgerStore, bus: EventBus) -> None:
        self.ledger, self.bus = ledger, bus

    async def award(self, user_id: str, amount: int, reason: str, idempotency_key: str, *,
                    tx: Publisher | None = None, cause: BaseEvent | None = None) -> LedgerResult:
        """Add `amount` (> 0); publishes `besitos_awarded`; a seen key changes nothing."""
        _positive(amount)
        return await self._run(tx, lambda t: self._one(t, user_id, amount, reason,
                                                       idempotency_key, cause))

    async def spend(self, user_id: str, amount: int, reason: str, idempotency_key: str, *,
                    tx: Publisher | None = None, cause: BaseEvent | None = None) -> LedgerResult:
        """Take `amount` (> 0); InsufficientFundsError beyond the balance; `besitos_spent`."""
        _positive(amount)
        return await self._run(tx, lambda t: self._one(t, user_id, -amount, reason,
                                                       idempotency_key, cause))

    async def apply(self, user_id: str, amount: int, reason: str, idempotency_key: str, *,
                    tx: Publisher | None = None, cause: BaseEvent | None = None) -> LedgerResult:
        """Signed amount, as the API takes it: > 0 awards, < 0 spends (0 is a ValueError)."""
        if amount < 0:
            return await self.spend(user_id, -amount, reason, idempotency_key, tx=tx,
                                    cause=cause)
        return await self.award(user_id, amount, reason, idempotency_key, tx=tx, cause=cause)

    async def transfer(self, from_user: str, to_user: str, amount: int, reason: str,
                       idempotency_key: str, *, tx: Publisher | None = None,
                       ) -> tuple[LedgerResult, LedgerResult]:
        """Move `amount` between wallets (total unchanged); entries `{key}:out`/`{key}:in`."""
        _positive(amount)
        if from_user == to_user:
            raise ValueError("cannot transfer to the same user")
        return await self._run(tx, lambda t: self._transfer(t, from_user, to_user, amount,
                                                            reason, idempotency_key))

    async def wallet(self, user_id: str, *, limit: int = 10) -> WalletView:
        """Balance and the newest `limit` ledger entries; NotFoundError("user")."""
        if limit < 0:
            raise ValueError("limit must be >= 0")
        return await self.ledger.wallet(user_id, limit)

    async def balance(self, user_id: str) -> int:
        """The current balance (0 without a wallet); does not check the user exists."""
        return await self.ledger.balance(user_id)

    # --- internals -------------------------------------------------------------------
    async def _run(self, tx: Publisher | None, fn: Callable[[Publisher], Awaitable[T]]) -> T:
        if tx is not None:
            return await fn(tx)
        try:
            async with self.bus.transaction() as own:
                return await fn(own)
        except self.ledger.races:
            # a concurrent writer used the same key first (PostgreSQL): now it is a replay
            async with self.bus.transaction() as own:
                return await fn(own)

    async def _one(self, tx: Publisher, user_id: str, amount: int, reason: str, key: str,
                   cause: BaseEvent | None) -> LedgerResult:
        seen = await self.ledger.entry_by_key(tx, key)
        if seen is None:
            await self.ledger.require_users(tx, [user_id])
            await self.ledger.lock_wallets(tx, [user_id])
            seen = await self.ledger.entry_by_key(tx, key, after_lock=True)
        if seen is not None:
            return await self._replay(tx, seen, user_id, amount)
        entry = await self.ledger.move(tx, user_id, amount, reason, key)
        await publish_sequenced(tx, self._event(entry, cause))
        return LedgerResult(user_id=user_id, balance=entry.balance_after, applied=True,
                            entry=entry)

    async def _transfer(self, tx: Publisher, from_user: str, to_user: str, amount: int,
                        reason: str, key: str) -> tuple[LedgerResult, LedgerResult]:
        out_key, in_key = f"{key}:out", f"{key}:in"
        seen = await self.ledger.entry_by_key(tx, out_key)
        if seen is None:
            await self.ledger.require_users(tx, [from_user, to_user])
            await self.ledger.lock_wallets(tx, [from_user, to_user])
            seen = await self.ledger.entry_by_key(tx, out_key, after_lock=True)
        if seen is not None:
            seen_in = await self.ledger.entry_by_key(tx, in_key)
            if seen_in is None:
                raise ConflictError(f"idempotency key {out_key!r} is not a transfer")
            return (await self._replay(tx, seen, from_user, -amount),
                    await self._replay(tx, seen_in, to_user, amount))
        out = await self.ledger.move(tx, from_user, -amount, reason, out_key)
        into = await self.ledger.move(tx, to_user, amount, reason, in_key)
        await publish_sequenced(tx, self._event(out, None), self._event(into, None))
        return (LedgerResult(user_id=from_user, balance=out.balance_after, applied=True,
                             entry=out),
                LedgerResult(user_id=to_user, balance=into.balance_after, applied=True,
                             entry=into))

    async def _replay(self, tx: Publisher, seen: LedgerEntry, user_id: str,
                      amount: int) -> LedgerResult:
        if seen.user_id != user_id or seen.amount != amount:
            raise ConflictError(
                f"idempotency key {seen.idempotency_key!r} was already used for "
                f"{seen.amount:+d} besitos of user {seen.user_id!r}")
        return LedgerResult(user_id=user_id, balance=await self.ledger.balance(user_id, tx=tx),
                            applied=False, entry=seen)

    @staticmethod
    def _event(entry: LedgerEntry, cause: BaseEvent | None) -> BaseEvent:
        payload = BesitosPayload(amount=abs(entry.amount), reason=entry.reason,
                                 balance=entry.balance_after,
                                 idempotency_key=entry.idempotency_key)
        cls: type[BesitosAwarded | BesitosSpent] = (
            BesitosAwarded if entry.amount > 0 else BesitosSpent)
        if cause is not None:
            return cause.follow(cls, user_id=entry.user_id, payload=payload)
        return cls(user_id=entry.user_id, payload=payload)
