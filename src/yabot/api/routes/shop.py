"""The shop and the inventory: items for sale, purchases, what a user holds, using one."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from yabot.api.deps import Domain, UserId, authenticated
from yabot.api.openapi import error_responses
from yabot.api.schemas_economy import (
    InventoryItemOut,
    InventoryOut,
    PurchaseIn,
    PurchaseOut,
    ShopItemOut,
    ShopItemsOut,
    UseIn,
    UseOut,
)

router = APIRouter(tags=["shop"], dependencies=[Depends(authenticated)])


@router.get("/shop/items", response_model=ShopItemsOut, summary="Items for sale",
            responses=error_responses())
async def shop_items(domain: Domain) -> ShopItemsOut:
    """Every item with a price, cheapest first."""
    return ShopItemsOut(items=[ShopItemOut.of(i)
                               for i in await domain.economy.shop.items_for_sale()])


@router.post("/user/{user_id}/purchases", response_model=PurchaseOut, status_code=201,
             summary="Buy an item",
             responses={200: {"model": PurchaseOut,
                              "description": "the idempotency key was seen: nothing changed"},
                        **error_responses(404, 409)})
async def purchase(user_id: UserId, body: PurchaseIn, domain: Domain,
                   response: Response) -> PurchaseOut:
    """Spends `price × quantity` and adds the items in one transaction. 409 when the
    besitos do not cover it (nothing changes); 404 for an unknown user or item."""
    result = await domain.economy.shop.purchase(user_id, body.item_id, body.idempotency_key,
                                                quantity=body.quantity)
    if not result.applied:
        response.status_code = 200
    return PurchaseOut(user_id=user_id, item_id=result.item_id, balance=result.balance,
                       inventory=[InventoryItemOut.of(i) for i in result.inventory])


@router.get("/user/{user_id}/inventory", response_model=InventoryOut, summary="Inventory",
            responses=error_responses(404))
async def inventory(user_id: UserId, domain: Domain) -> InventoryOut:
    lines = await domain.economy.shop.inventory(user_id)
    return InventoryOut(user_id=user_id, items=[InventoryItemOut.of(i) for i in lines])


@router.post("/user/{user_id}/inventory/{item_id}/use", response_model=UseOut,
             summary="Use a consumable",
             responses={200: {"model": UseOut, "description": "used (or the key was seen)"},
                        **error_responses(404, 409)})
async def use_item(user_id: UserId, item_id: str, body: UseIn, domain: Domain) -> UseOut:
    """Applies the item's effect once and takes one; 409 when the user has none."""
    result = await domain.economy.shop.use(user_id, item_id, body.idempotency_key)
    return UseOut(user_id=user_id, item_id=item_id, remaining=result.remaining,
                  effect=result.effect, hint_text=result.hint_text)
