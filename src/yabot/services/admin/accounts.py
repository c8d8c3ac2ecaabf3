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
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from yabot.domain.clock import utcnow
from yabot.domain.errors import ConflictError, NotFoundError
from yabot.domain.views import AuditEntry, OperatorSession
from yabot.services.admin.ports import AccountStore

__all__ = [
    "USERNAME",
    "AdminAccountService",
    "AuditEntry",
    "OperatorSession",
    "check_credentials",
]

MIN_PASSWORD = 12
MAX_PASSWORD = 1024
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
Clock = Callable[[], datetime]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_credentials(username: str, password: str) -> None:
    """ValueError naming the rule a new account breaks."""
    if not USERNAME.match(username):
        raise ValueError("username: 1-64 characters of A-Z, a-z, 0-9, _ . @ -")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"password: at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise ValueError(f"password: at most {MAX_PASSWORD} characters")


class AdminAccountService:
    def __init__(self, *, store: AccountStore, session_ttl: timedelta,
                 clock: Clock = utcnow) -> None:
        self.store, self.session_ttl, self.clock = store, session_ttl, clock
        self._hasher = PasswordHasher()
        self._dummy: str | None = None  # verified for unknown users: same cost either way

    async def add(self, username: str, password: str) -> None:
        """Create an operator; ValueError for a bad name/password, ConflictError if taken."""
        check_credentials(username, password)
        hashed = await asyncio.to_thread(self._hasher.hash, password)
        if not await self.store.add(username, hashed, self.clock()):
            raise ConflictError(f"operator {username!r} already exists")

    async def remove(self, username: str) -> None:
        """Delete an operator and its sessions; NotFoundError("operator")."""
        if not await self.store.remove(username):
            raise NotFoundError("operator", username)

    async def verify(self, username: str, password: str) -> bool:
        """True when the operator exists and the password matches."""
        if len(password) > MAX_PASSWORD:
            return False
        stored = await self.store.password_hash(username)
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
        await self.store.open_session(_digest(token), session, now)
        return token, session

    async def session(self, token: str) -> OperatorSession | None:
        """The live session of a token; None when unknown, expired or its operator gone."""
        session = await self.store.session(_digest(token))
        if session is None or session.expires_at <= self.clock():
            return None
        return session

    async def close_session(self, token: str) -> None:
        await self.store.close_session(_digest(token))

    async def audit(self, username: str, action: str, target: str | None = None,
                    detail: str | None = None) -> None:
        """Record an operator action (who, what, on what, when)."""
        await self.store.audit(username, action, target,
                               detail[:500] if detail else detail, self.clock())

    async def recent_audit(self, *, target: str | None = None,
                           limit: int = 20) -> list[AuditEntry]:
        """Newest first; only the actions on `target` when given."""
        return await self.store.recent_audit(target, limit)

    def with_clock(self, clock: Clock) -> AdminAccountService:
        """The same accounts read with another clock (the panel's tests move time)."""
        return AdminAccountService(store=self.store, session_ttl=self.session_ttl, clock=clock)
