"""Admin panel operators (argon2 hashes only), their sessions (token digests) and the audit."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from yabot.domain.clock import as_utc
from yabot.domain.views import AuditEntry, OperatorSession
from yabot.storage.sql.database import Database
from yabot.storage.sql.tables import admin_accounts, admin_audit, admin_sessions

_A, _S, _L = admin_accounts.c, admin_sessions.c, admin_audit.c


class AdminAccountRepository:
    """Implements `services.admin.ports.AccountStore`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, username: str, password_hash: str, now: datetime) -> bool:
        """False when the name is taken."""
        async with self.db.write() as conn:
            taken = await conn.execute(sa.select(_A.username).where(_A.username == username))
            if taken.first() is not None:
                return False
            await conn.execute(admin_accounts.insert().values(
                username=username, password_hash=password_hash, created_at=now))
        return True

    async def remove(self, username: str) -> bool:
        """Delete the operator and its sessions; False when there was none."""
        async with self.db.write() as conn:
            await conn.execute(admin_sessions.delete().where(_S.username == username))
            gone = await conn.execute(admin_accounts.delete().where(_A.username == username))
            return bool(gone.rowcount)

    async def password_hash(self, username: str) -> str | None:
        async with self.db.read() as conn:
            return (await conn.execute(sa.select(_A.password_hash)
                                       .where(_A.username == username))).scalar()

    async def open_session(self, digest: str, session: OperatorSession, now: datetime) -> None:
        """Store a new session (purging expired ones)."""
        async with self.db.write() as conn:
            await conn.execute(admin_sessions.delete().where(_S.expires_at < now))
            await conn.execute(admin_sessions.insert().values(
                id=digest, username=session.username, csrf_token=session.csrf_token,
                created_at=now, expires_at=session.expires_at))

    async def session(self, digest: str) -> OperatorSession | None:
        async with self.db.read() as conn:
            row = (await conn.execute(sa.select(admin_sessions).where(_S.id == digest))
                   ).mappings().first()
        if row is None:
            return None
        return OperatorSession(username=row["username"], csrf_token=row["csrf_token"],
                               expires_at=as_utc(row["expires_at"]))

    async def close_session(self, digest: str) -> None:
        async with self.db.write() as conn:
            await conn.execute(admin_sessions.delete().where(_S.id == digest))

    async def audit(self, username: str, action: str, target: str | None,
                    detail: str | None, now: datetime) -> None:
        async with self.db.write() as conn:
            await conn.execute(admin_audit.insert().values(
                username=username, action=action, target=target, detail=detail,
                created_at=now))

    async def recent_audit(self, target: str | None, limit: int) -> list[AuditEntry]:
        """Newest first; only the actions on `target` when given."""
        query = sa.select(admin_audit).order_by(_L.id.desc()).limit(limit)
        if target is not None:
            query = query.where(_L.target == target)
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [AuditEntry(id=r["id"], username=r["username"], action=r["action"],
                           target=r["target"], detail=r["detail"],
                           created_at=as_utc(r["created_at"])) for r in rows]
