"""Inventory rows and item operations (purchases and uses by idempotency key)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.domain.clock import utcnow
from yabot.domain.economy import Operation
from yabot.storage.sql.dialect import insert_for
from yabot.storage.sql.tables_economy import inventory, item_operations


async def operation(conn: AsyncConnection, key: str) -> Operation | None:
    row = (await conn.execute(sa.select(item_operations)
                              .where(item_operations.c.idempotency_key == key))).first()
    if row is None:
        return None
    return Operation(key=row.idempotency_key, user_id=row.user_id, kind=row.kind,
                     item_id=row.item_id, quantity=int(row.quantity))


async def record_operation(conn: AsyncConnection, op: Operation) -> None:
    """Insert the operation's key (a concurrent duplicate fails on the primary key)."""
    await conn.execute(item_operations.insert().values(
        idempotency_key=op.key, user_id=op.user_id, kind=op.kind, item_id=op.item_id,
        quantity=op.quantity, created_at=utcnow()))


async def add(conn: AsyncConnection, user_id: str, item_id: str, quantity: int) -> int:
    """Add `quantity` of an item; returns the new quantity."""
    stmt = insert_for(conn, inventory).values(user_id=user_id, item_id=item_id,
                                              quantity=quantity, updated_at=utcnow())
    stmt = stmt.on_conflict_do_update(
        index_elements=[inventory.c.user_id, inventory.c.item_id],
        set_={"quantity": inventory.c.quantity + quantity, "updated_at": utcnow()})
    return int((await conn.execute(stmt.returning(inventory.c.quantity))).scalar_one())


async def take(conn: AsyncConnection, user_id: str, item_id: str, quantity: int) -> int | None:
    """Take `quantity` if the user has that many; the new quantity, or None (unchanged)."""
    left = (await conn.execute(
        inventory.update()
        .where(inventory.c.user_id == user_id, inventory.c.item_id == item_id,
               inventory.c.quantity >= quantity)
        .values(quantity=inventory.c.quantity - quantity, updated_at=utcnow())
        .returning(inventory.c.quantity))).scalar()
    return None if left is None else int(left)


async def items_of(conn: AsyncConnection, user_id: str) -> list[tuple[str, int]]:
    """(item_id, quantity) the user holds (quantity > 0), by item id."""
    rows = await conn.execute(sa.select(inventory.c.item_id, inventory.c.quantity)
                              .where(inventory.c.user_id == user_id, inventory.c.quantity > 0)
                              .order_by(inventory.c.item_id))
    return [(r.item_id, int(r.quantity)) for r in rows]


async def quantity(conn: AsyncConnection, user_id: str, item_id: str) -> int:
    value = (await conn.execute(sa.select(inventory.c.quantity).where(
        inventory.c.user_id == user_id, inventory.c.item_id == item_id))).scalar()
    return int(value or 0)
