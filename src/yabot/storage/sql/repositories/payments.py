"""Payments repository (SQLAlchemy Core): offers, payments, the current plan row, support."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from yabot.domain.clock import as_utc
from yabot.domain.payments import CurrentPlan, Offer, Payment, SupportRequest
from yabot.storage.sql.database import Database
from yabot.storage.sql.dialect import insert_for
from yabot.storage.sql.repositories.base import Transaction
from yabot.storage.sql.tables import subscriptions, user_profiles
from yabot.storage.sql.tables_payments import payment_offers, payments, support_requests

_O, _P, _S, _R = payment_offers.c, payments.c, subscriptions.c, support_requests.c


def _payment(row: sa.RowMapping) -> Payment:
    return Payment(
        charge_id=row["charge_id"], user_id=row["user_id"], offer_id=row["offer_id"],
        amount=row["amount"], currency=row["currency"], status=row["status"],
        is_recurring=bool(row["is_recurring"]), created_at=as_utc(row["created_at"]),
        plan_end=None if row["plan_end"] is None else as_utc(row["plan_end"]),
        refunded_at=None if row["refunded_at"] is None else as_utc(row["refunded_at"]))


async def _payment_by_charge(conn: AsyncConnection, charge_id: str) -> Payment | None:
    row = (await conn.execute(sa.select(payments).where(_P.charge_id == charge_id))
           ).mappings().first()
    return None if row is None else _payment(row)


class SqlPaymentsRepository:
    """The payments context's SQL, behind `PaymentsStore`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- offers ------------------------------------------------------------------------
    async def add_offer(self, offer: Offer) -> None:
        async with self.db.write() as conn:
            await conn.execute(payment_offers.insert().values(
                offer_id=offer.offer_id, user_id=offer.user_id, plan_type=offer.plan_type,
                amount=offer.amount, currency=offer.currency, created_at=offer.created_at,
                expires_at=offer.expires_at))

    async def get_offer(self, offer_id: str) -> Offer | None:
        async with self.db.read() as conn:
            row = (await conn.execute(sa.select(payment_offers)
                                      .where(_O.offer_id == offer_id))).mappings().first()
            used = (await conn.execute(sa.select(_P.charge_id).where(_P.offer_id == offer_id)
                                       .limit(1))).first() is not None
        if row is None:
            return None
        return Offer(offer_id=row["offer_id"], user_id=row["user_id"],
                     plan_type=row["plan_type"], amount=row["amount"],
                     currency=row["currency"], created_at=as_utc(row["created_at"]),
                     expires_at=as_utc(row["expires_at"]), used=used)

    # --- inside the grant / refund transaction -------------------------------------------
    async def current_plan(self, tx: Transaction, user_id: str) -> CurrentPlan | None:
        """Lock the profile (PostgreSQL) and read the user's newest plan row; None when the
        user is unknown."""
        conn = tx.conn
        found = (await conn.execute(sa.select(user_profiles.c.user_id)
                                    .where(user_profiles.c.user_id == user_id)
                                    .with_for_update())).first()
        if found is None:
            return None
        row = (await conn.execute(sa.select(_S.plan_type, _S.status, _S.end_date)
                                  .where(_S.user_id == user_id)
                                  .order_by(_S.id.desc()).limit(1))).first()
        if row is None:
            return CurrentPlan(plan_type="free", status="active", end_date=None)
        return CurrentPlan(plan_type=row.plan_type, status=row.status,
                           end_date=None if row.end_date is None else as_utc(row.end_date))

    async def insert_payment(self, tx: Transaction, payment: Payment) -> bool:
        """False when the charge id is already recorded (nothing is written)."""
        conn = tx.conn
        result = await conn.execute(
            insert_for(conn, payments).values(
                charge_id=payment.charge_id, user_id=payment.user_id,
                offer_id=payment.offer_id, amount=payment.amount, currency=payment.currency,
                status="paid", is_recurring=payment.is_recurring, plan_end=payment.plan_end,
                created_at=payment.created_at)
            .on_conflict_do_nothing(index_elements=["charge_id"]).returning(_P.charge_id))
        return result.first() is not None

    async def payment_in(self, tx: Transaction, charge_id: str) -> Payment | None:
        return await _payment_by_charge(tx.conn, charge_id)

    async def mark_refunded(self, tx: Transaction, charge_id: str,
                            now: datetime) -> bool:
        conn = tx.conn
        result = await conn.execute(payments.update()
                                    .where(_P.charge_id == charge_id, _P.status == "paid")
                                    .values(status="refunded", refunded_at=now)
                                    .returning(_P.charge_id))
        return result.first() is not None

    async def refunded_since(self, tx: Transaction, user_id: str,
                             since: datetime) -> bool:
        conn = tx.conn
        row = (await conn.execute(sa.select(_P.charge_id).where(
            _P.user_id == user_id, _P.status == "refunded", _P.refunded_at >= since)
            .limit(1))).first()
        return row is not None

    async def offer_refunded(self, tx: Transaction, offer_id: str) -> bool:
        """Was a charge of this offer (one Stars subscription) refunded?"""
        row = (await tx.conn.execute(sa.select(_P.charge_id).where(
            _P.offer_id == offer_id, _P.status == "refunded").limit(1))).first()
        return row is not None

    # --- reads ---------------------------------------------------------------------------
    async def get_payment(self, charge_id: str) -> Payment | None:
        async with self.db.read() as conn:
            return await _payment_by_charge(conn, charge_id)

    async def user_exists(self, user_id: str) -> bool:
        async with self.db.read() as conn:
            return (await conn.execute(sa.select(user_profiles.c.user_id).where(
                user_profiles.c.user_id == user_id))).first() is not None

    async def user_payments(self, user_id: str, limit: int = 100) -> list[Payment]:
        async with self.db.read() as conn:
            rows = (await conn.execute(sa.select(payments).where(_P.user_id == user_id)
                                       .order_by(_P.created_at.desc()).limit(limit))
                    ).mappings().all()
        return [_payment(r) for r in rows]

    async def payments_since(self, since: datetime, limit: int = 1000) -> list[Payment]:
        async with self.db.read() as conn:
            rows = (await conn.execute(sa.select(payments).where(_P.created_at >= since)
                                       .order_by(_P.created_at.desc()).limit(limit))
                    ).mappings().all()
        return [_payment(r) for r in rows]

    # --- support requests ----------------------------------------------------------------
    async def add_support_request(self, user_id: str, text: str, now: datetime) -> int:
        async with self.db.write() as conn:
            result = await conn.execute(support_requests.insert().values(
                user_id=user_id, text=text, status="open", created_at=now).returning(_R.id))
            return int(result.scalar_one())

    async def support_requests(self, limit: int = 50,
                               user_id: str | None = None) -> list[SupportRequest]:
        query = sa.select(support_requests).order_by(_R.id.desc()).limit(limit)
        if user_id is not None:
            query = query.where(_R.user_id == user_id)
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [SupportRequest(id=r["id"], user_id=r["user_id"], text=r["text"],
                               status=r["status"], created_at=as_utc(r["created_at"]))
                for r in rows]
