"""The shop and the inventory: purchases and uses, each one transaction, once per key.

A purchase spends the besitos (`purchase:<item_id>`), adds the item, records the key and
publishes `item_purchased` in one commit; a use takes one consumable, records the key and
publishes `item_used`, whose effect the narrative's subscriber applies exactly once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from yabot.domain.clock import utcnow
from yabot.domain.economy import Operation
from yabot.domain.errors import ConflictError, ItemUnavailableError, NotFoundError, VipRequiredError
from yabot.domain.events import ItemPurchased, ItemPurchasedPayload, ItemUsed, ItemUsedPayload
from yabot.domain.models import Item
from yabot.events.bus import EventBus
from yabot.events.handler_context import Publisher
from yabot.services.economy.ports import EconomyStore
from yabot.services.economy.rules import RuleBook
from yabot.services.economy.views import InventoryLine, PurchaseResult, UseResult
from yabot.services.wallet.service import BesitosService
from yabot.storage.documents.base import DocumentStore

T = TypeVar("T")


class ShopService:
    def __init__(self, *, store: EconomyStore, documents: DocumentStore, bus: EventBus,
                 besitos: BesitosService, rules: RuleBook) -> None:
        self.store, self.documents, self.bus = store, documents, bus
        self.besitos, self.rules = besitos, rules

    async def items_for_sale(self) -> list[Item]:
        """Items with a price, cheapest first."""
        items = (await self.rules.get()).items.values()
        return sorted((i for i in items if i.price is not None),
                      key=lambda i: (i.price or 0, i.item_id))

    async def item(self, item_id: str) -> Item:
        found = (await self.rules.get()).items.get(item_id)
        if found is None:
            found = await self.documents.items.get(item_id)
        if found is None:
            raise NotFoundError("item", item_id)
        return found

    async def purchase(self, user_id: str, item_id: str, idempotency_key: str, *,
                       quantity: int = 1) -> PurchaseResult:
        """Buy `quantity`: NotFoundError (user, item), VipRequiredError, 409 errors for a
        price beyond the balance or an item not for sale; a seen key changes nothing."""
        if quantity < 1:
            raise ValueError("quantity must be at least 1")
        item = await self.item(item_id)
        if item.price is None:
            raise ItemUnavailableError(user_id, item_id, "not for sale")
        key = f"purchase:{user_id}:{idempotency_key}"
        applied = await self._run(lambda tx: self._buy(tx, user_id, item, quantity, key))
        balance = await self.besitos.balance(user_id)
        lines = await self._lines(user_id)
        return PurchaseResult(user_id=user_id, item_id=item_id, quantity=quantity,
                              balance=balance, inventory=lines, applied=applied)

    async def _buy(self, tx: Publisher, user_id: str, item: Item, quantity: int,
                   key: str) -> bool:
        seen = await self.store.operation(tx, key)
        if seen is not None:
            _same(seen, user_id, "purchase", item.item_id, quantity)
            return False
        if not await self.store.user_exists(user_id, tx=tx):
            raise NotFoundError("user", user_id)
        if item.vip_only and not await self.store.is_vip(tx, user_id, utcnow()):
            raise VipRequiredError(user_id, f"item:{item.item_id}")
        total = (item.price or 0) * quantity
        await self.besitos.spend(user_id, total, f"purchase:{item.item_id}", key, tx=tx)
        await self.store.add_item(tx, user_id, item.item_id, quantity)
        await self.store.record_operation(tx, Operation(
            key=key, user_id=user_id, kind="purchase", item_id=item.item_id,
            quantity=quantity))
        await tx.publish(ItemPurchased(user_id=user_id, payload=ItemPurchasedPayload(
            item_id=item.item_id, quantity=quantity, price=total, idempotency_key=key)))
        return True

    async def use(self, user_id: str, item_id: str, idempotency_key: str) -> UseResult:
        """Use one consumable: ItemUnavailableError (409) when the user has none or it is
        not usable; a seen key changes nothing and answers as the first time."""
        item = await self.item(item_id)
        if item.kind != "consumable":
            raise ItemUnavailableError(user_id, item_id, "this item cannot be used")
        effect = item.effect.as_dict() if item.effect is not None else {}
        key = f"use:{user_id}:{idempotency_key}"
        applied = await self._run(lambda tx: self._use(tx, user_id, item_id, effect, key))
        remaining = await self.store.quantity(user_id, item_id)
        hint = (await self.store.hint_text(effect["reveal_hint"])
                if "reveal_hint" in effect else None)
        return UseResult(user_id=user_id, item_id=item_id, remaining=remaining, effect=effect,
                         hint_text=hint, applied=applied)

    async def _use(self, tx: Publisher, user_id: str, item_id: str, effect: dict[str, str],
                   key: str) -> bool:
        seen = await self.store.operation(tx, key)
        if seen is not None:
            _same(seen, user_id, "use", item_id, 1)
            return False
        if not await self.store.user_exists(user_id, tx=tx):
            raise NotFoundError("user", user_id)
        if await self.store.take_item(tx, user_id, item_id, 1) is None:
            raise ItemUnavailableError(user_id, item_id, "the user has none")
        await self.store.record_operation(tx, Operation(
            key=key, user_id=user_id, kind="use", item_id=item_id, quantity=1))
        await tx.publish(ItemUsed(user_id=user_id, payload=ItemUsedPayload(
            item_id=item_id, effect=effect, idempotency_key=key)))
        return True

    async def inventory(self, user_id: str) -> list[InventoryLine]:
        """What the user holds; NotFoundError("user")."""
        if not await self.store.user_exists(user_id):
            raise NotFoundError("user", user_id)
        return await self._lines(user_id)

    async def _lines(self, user_id: str) -> list[InventoryLine]:
        items = (await self.rules.get()).items
        lines = []
        for item_id, quantity in await self.store.items_of(user_id):
            item = items.get(item_id)
            lines.append(InventoryLine(
                item_id=item_id, name=item.name if item else item_id, quantity=quantity,
                kind=item.kind if item else "collectible",
                usable=item is not None and item.kind == "consumable"))
        return lines

    async def _run(self, fn: Callable[[Publisher], Awaitable[T]]) -> T:
        try:
            async with self.bus.transaction() as tx:
                return await fn(tx)
        except self.store.races:  # a concurrent request with the same key won: now a replay
            async with self.bus.transaction() as tx:
                return await fn(tx)


def _same(seen: Operation, user_id: str, kind: str, item_id: str, quantity: int) -> None:
    if (seen.user_id, seen.kind, seen.item_id, seen.quantity) != (user_id, kind, item_id,
                                                                  quantity):
        raise ConflictError(f"idempotency key {seen.key!r} was already used for another "
                            f"{seen.kind} ({seen.quantity} × {seen.item_id})")
