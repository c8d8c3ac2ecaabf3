"""AdminAccountService: admin panel operators (argon2 hashes), their sessions, the audit.

Passwords are hashed and verified in a worker thread (argon2 is deliberately slow). A
session is a random token: the cookie carries it, the table stores only its SHA-256, with
the session's CSRF token and an absolute expiry. Removing an operator ends its sessions.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from yabot.domain.errors import ConflictError, NotFoundError
from yabot.storage.sql.database import Database
from yabot.storage.sql.tables import admin_accounts, admin_audit, admin_sessions

MIN_PASSWORD = 12
MAX_PASSWORD = 1024
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def check_credentials(username: str, password: str) -> None:
    """ValueError naming the rule a new account breaks."""
    if not USERNAME.match(username):
        raise ValueError("username: 1-64 characters of A-Z, a-z, 0-9, _ . @ -")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"password: at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise ValueError(f"password: at most {MAX_PASSWORD} characters")


@dataclass(frozen=True, kw_only=True)
class OperatorSession:
    username: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True, kw_only=True)
class AuditEntry:
    id: int
    username: str
    action: str
    target: str | None
    detail: str | None
    created_at: datetime


class AdminAccountService:
    def __init__(self, *, db: Database, session_ttl: timedelta,
                 clock: Clock = _utc_now) -> None:
        self.db, self.session_ttl, self.clock = db, session_ttl, clock
        self._hasher = PasswordHasher()
        self._dummy: str | None = None  # verified for unknown users: same cost either way

    async def add(self, username: str, password: str) -> None:
        """Create an operator; ValueError for a bad name/password, ConflictError if taken."""
        check_credentials(username, password)
        hashed = await asyncio.to_thread(self._hasher.hash, password)
        async with self.db.write() as conn:
            taken = await conn.execute(sa.select(admin_accounts.c.username)
                                       .where(admin_accounts.c.username == username))
            if taken.first() is not None:
                raise ConflictError(f"operator {username!r} already exists")
            await conn.execute(admin_accounts.insert().values(
                username=username, password_hash=hashed, created_at=self.clock()))

    async def remove(self, username: str) -> None:
        """Delete an operator and its sessions; NotFoundError("operator")."""
        async with self.db.write() as conn:
            await conn.execute(admin_sessions.delete()
                               .where(admin_sessions.c.username == username))
            gone = await conn.execute(admin_accounts.delete()
                                      .where(admin_accounts.c.username == username))
            if gone.rowcount == 0:
                raise NotFoundError("operator", username)

    async def verify(self, username: str, password: str) -> bool:
        """True when the operator exists and the password matches."""
        if len(password) > MAX_PASSWORD:
            return False
        async with self.db.read() as conn:
            stored = (await conn.execute(sa.select(admin_accounts.c.password_hash).where(
                admin_accounts.c.username == username))).scalar()
        if stored is None:  # spend the same time as for a wrong password
            if self._dummy is None:
                self._dummy = await asyncio.to_thread(self._hasher.hash, secrets.token_hex(8))
            await asyncio.to_thread(self._matches, self._dummy, password)
            return False
        return await asyncio.to_thread(self._matches, stored, password)

    def _matches(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    async def open_session(self, username: str) -> tuple[str, OperatorSession]:
        """A new session: (the token for the cookie, the session)."""
        token, now = secrets.token_urlsafe(32), self.clock()
        session = OperatorSession(username=username, csrf_token=secrets.token_urlsafe(32),
                                  expires_at=now + self.session_ttl)
        async with self.db.write() as conn:
            await conn.execute(admin_sessions.delete().where(admin_sessions.c.expires_at < now))
            await conn.execute(admin_sessions.insert().values(
                id=_digest(token), username=username, csrf_token=session.csrf_token,
                created_at=now, expires_at=session.expires_at))
        return token, session

    async def session(self, token: str) -> OperatorSession | None:
        """The live session of a token; None when unknown, expired or its operator gone."""
        query = sa.select(admin_sessions).where(admin_sessions.c.id == _digest(token))
        async with self.db.read() as conn:
            row = (await conn.execute(query)).mappings().first()
        if row is None or _utc(row["expires_at"]) <= self.clock():
            return None
        return OperatorSession(username=row["username"], csrf_token=row["csrf_token"],
                               expires_at=_utc(row["expires_at"]))

    async def close_session(self, token: str) -> None:
        async with self.db.write() as conn:
            await conn.execute(admin_sessions.delete()
                               .where(admin_sessions.c.id == _digest(token)))

    async def audit(self, username: str, action: str, target: str | None = None,
                    detail: str | None = None) -> None:
        """Record an operator action (who, what, on what, when)."""
        async with self.db.write() as conn:
            await conn.execute(admin_audit.insert().values(
                username=username, action=action, target=target,
                detail=detail[:500] if detail else detail, created_at=self.clock()))

    async def recent_audit(self, *, target: str | None = None,
                           limit: int = 20) -> list[AuditEntry]:
        """Newest first; only the actions on `target` when given."""
        query = sa.select(admin_audit).order_by(admin_audit.c.id.desc()).limit(limit)
        if target is not None:
            query = query.where(admin_audit.c.target == target)
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [AuditEntry(id=r["id"], username=r["username"], action=r["action"],
                           target=r["target"], detail=r["detail"],
                           created_at=_utc(r["created_at"])) for r in rows]
