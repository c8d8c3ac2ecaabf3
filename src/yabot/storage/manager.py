"""DatabaseManager: connects, migrates, health-checks and closes both stores.

Built with `create=False` it only opens stores that exist: a missing SQLite file is a
`SchemaNotReadyError` before any engine (which would create the file) is built.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from yabot.domain.errors import SchemaNotReadyError, StoreUnavailableError
from yabot.domain.health import ComponentHealth
from yabot.logs import get_logger
from yabot.settings import StorageSettings
from yabot.storage.documents.base import DocumentStore
from yabot.storage.documents.embedded import EmbeddedDocumentStore
from yabot.storage.sql.database import Database, sql_url
from yabot.storage.sql.migrate import migrate, require_current_schema

log = get_logger(__name__)


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """Bounded exponential backoff with full jitter."""

    attempts: int = 5
    base_delay: float = 0.2
    max_delay: float = 5.0

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


async def probe(backend: str, check: Callable[[], Awaitable[object]],
                timeout: float = 2.0) -> ComponentHealth:
    """Time one health check; a failure or timeout reports `down` with the reason."""
    start = time.perf_counter()
    try:
        await asyncio.wait_for(check(), timeout)
    except Exception as exc:  # any failure means "down"
        reason = "timed out" if isinstance(exc, TimeoutError) else f"{type(exc).__name__}: {exc}"
        return ComponentHealth(status="down", backend=backend, error=reason)
    return ComponentHealth(status="up", backend=backend,
                           latency_ms=round((time.perf_counter() - start) * 1000, 3))


def _database(url: str, *, create: bool) -> Database:
    """A `Database`; without `create`, only over a SQLite file that already exists."""
    db_url = make_url(url)
    path = db_url.database or ""
    if (not create and db_url.get_backend_name() == "sqlite" and path not in ("", ":memory:")
            and not Path(path).exists()):
        raise SchemaNotReadyError(f"no database at {path}; run `yabot migrate`")
    return Database(url)


class DatabaseManager:
    """Owns the relational store (`sql`) and the document store (`documents`)."""

    def __init__(self, sql: Database, documents: DocumentStore, *,
                 retry: RetryPolicy | None = None, extra: list[Database] | None = None) -> None:
        self.sql = sql
        self.documents = documents
        self.retry = retry or RetryPolicy()
        self._extra = extra or []

    @classmethod
    def from_settings(cls, settings: StorageSettings, *, retry: RetryPolicy | None = None,
                      create: bool = True) -> DatabaseManager:
        """Without `create`, refuse (SchemaNotReadyError) where a SQLite file is missing."""
        sql = _database(sql_url(settings), create=create)
        documents: DocumentStore
        extra: list[Database] = []
        if settings.mongodb_uri is not None:
            from yabot.storage.documents.mongo import MongoDocumentStore

            documents = MongoDocumentStore(settings.mongodb_uri.get_secret_value(),
                                           settings.mongodb_database)
        elif sql.is_sqlite:
            documents = EmbeddedDocumentStore(sql)
        else:  # PostgreSQL for relational data, embedded documents beside it in SQLite
            doc_db = _database(f"sqlite+aiosqlite:///{settings.sqlite_database_path}",
                               create=create)
            documents = EmbeddedDocumentStore(doc_db)
            extra.append(doc_db)
        return cls(sql, documents, retry=retry, extra=extra)

    async def _connect(self, name: str, connect: Callable[[], Awaitable[None]]) -> None:
        for attempt in range(1, self.retry.attempts + 1):
            try:
                await connect()
                log.info("store connected", store=name, attempt=attempt)
                return
            except Exception as exc:
                if attempt == self.retry.attempts:
                    log.error("store unreachable, giving up", store=name, attempt=attempt,
                              error=f"{type(exc).__name__}: {exc}")
                    raise StoreUnavailableError(
                        name, f"{type(exc).__name__}: {exc} (after {attempt} attempts)") from exc
                delay = self.retry.delay(attempt)
                log.warning("store connection failed, retrying", store=name, attempt=attempt,
                            max_attempts=self.retry.attempts, retry_in_s=round(delay, 3),
                            error=f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(delay)

    async def connect_all(self) -> None:
        await self.connect_sql()
        await self.connect_documents()

    async def connect_sql(self) -> None:
        await self._connect(self.sql.backend, self.sql.ping)

    async def connect_documents(self) -> None:
        await self._connect(self.documents.name, self.documents.connect)

    async def require_schema(self) -> str:
        """Read-only: the relational schema is this code's, else SchemaNotReadyError
        (missing or older: run `yabot migrate`) or SchemaError (newer than the code)."""
        return await require_current_schema(self.sql)

    async def migrate(self) -> str:
        """Apply relational migrations and create document collections; returns the revision."""
        _, head = await migrate(self.sql)
        await self.documents.ensure_schema()
        log.info("schema ready", revision=head, documents=self.documents.name)
        return head

    async def health_check(self) -> dict[str, ComponentHealth]:
        sql, docs = await asyncio.gather(
            probe(self.sql.backend, self.sql.ping),
            probe(self.documents.name, self.documents.ping))
        return {"relational": sql, "documents": docs}

    async def disconnect_all(self) -> None:
        await self.documents.close()
        await self.sql.dispose()
        for db in self._extra:
            await db.dispose()
