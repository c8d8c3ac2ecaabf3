"""DatabaseManager.connect_all: bounded retries with jittered backoff, one log line per attempt."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from yabot.domain.errors import StoreUnavailableError
from yabot.storage.documents.base import DocumentStore
from yabot.storage.manager import DatabaseManager, RetryPolicy
from yabot.storage.sql.database import Database

FAST = {"base_delay": 0.001, "max_delay": 0.004}


class FlakyDocumentStore(DocumentStore):
    """Fails `connect()` the first `failures` times, then answers."""

    name = "fake-documents"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.connect_calls = 0
        self.closed = False

    async def connect(self) -> None:
        self.connect_calls += 1
        if self.connect_calls <= self.failures:
            raise ConnectionRefusedError(f"refused #{self.connect_calls}")

    async def ensure_schema(self) -> None:
        pass

    async def ping(self) -> None:
        pass

    async def close(self) -> None:
        self.closed = True


@dataclass(frozen=True, kw_only=True)
class RecordingPolicy(RetryPolicy):
    """The real policy, remembering every (attempt, delay) the manager asked for."""

    asked: list[tuple[int, float]] = field(default_factory=list)

    def delay(self, attempt: int) -> float:
        value = super().delay(attempt)
        self.asked.append((attempt, value))
        return value


def _flaky(call: Callable[[], Awaitable[None]], failures: int) -> Callable[[], Awaitable[None]]:
    calls = 0

    async def wrapper() -> None:
        nonlocal calls
        calls += 1
        if calls <= failures:
            raise OSError(f"unable to open database file (#{calls})")
        await call()

    return wrapper


@pytest.fixture
async def sql(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'yabot.db'}")
    try:
        yield db
    finally:
        await db.dispose()


def _for(store: str, logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in logs if e.get("store") == store]


@pytest.mark.parametrize("failures", [0, 1, 3])
async def test_document_store_that_fails_n_times_then_succeeds(sql: Database,
                                                               failures: int) -> None:
    docs = FlakyDocumentStore(failures)
    policy = RecordingPolicy(attempts=5, **FAST)
    manager = DatabaseManager(sql, docs, retry=policy)

    with capture_logs() as logs:
        await manager.connect_all()

    assert docs.connect_calls == failures + 1
    lines = _for(docs.name, logs)
    assert [e["attempt"] for e in lines] == list(range(1, failures + 2))  # one per attempt
    assert [e["log_level"] for e in lines] == ["warning"] * failures + ["info"]
    for entry in lines[:-1]:
        assert entry["event"] == "store connection failed, retrying"
        assert "ConnectionRefusedError" in entry["error"]
        assert entry["max_attempts"] == 5
    assert lines[-1]["event"] == "store connected"
    assert [a for a, _ in policy.asked] == list(range(1, failures + 1))
    # the relational store answered at once: one line, no retries
    assert [(e["event"], e["attempt"]) for e in _for("sqlite", logs)] == [("store connected", 1)]


async def test_relational_store_that_fails_n_times_then_succeeds(
        sql: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sql, "ping", _flaky(sql.ping, 2))
    manager = DatabaseManager(sql, FlakyDocumentStore(0),
                              retry=RetryPolicy(attempts=3, **FAST))

    with capture_logs() as logs:
        await manager.connect_all()

    lines = _for("sqlite", logs)
    assert [(e["log_level"], e["attempt"]) for e in lines] == [
        ("warning", 1), ("warning", 2), ("info", 3)]
    assert "unable to open database file" in lines[0]["error"]


@pytest.mark.parametrize("attempts", [1, 2, 4])
async def test_gives_up_after_the_policy_attempts(sql: Database, attempts: int) -> None:
    docs = FlakyDocumentStore(failures=attempts)  # would succeed one attempt too late
    policy = RecordingPolicy(attempts=attempts, **FAST)
    manager = DatabaseManager(sql, docs, retry=policy)

    with capture_logs() as logs, pytest.raises(StoreUnavailableError) as info:
        await manager.connect_all()

    assert info.value.store == docs.name
    assert f"after {attempts} attempts" in str(info.value)
    assert isinstance(info.value.__cause__, ConnectionRefusedError)
    assert docs.connect_calls == attempts
    lines = _for(docs.name, logs)
    assert [e["attempt"] for e in lines] == list(range(1, attempts + 1))
    assert [e["log_level"] for e in lines] == ["warning"] * (attempts - 1) + ["error"]
    assert lines[-1]["event"] == "store unreachable, giving up"
    # no sleep after the last attempt
    assert [a for a, _ in policy.asked] == list(range(1, attempts))


async def test_relational_failure_stops_before_the_document_store(
        sql: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sql, "ping", _flaky(sql.ping, 99))
    docs = FlakyDocumentStore(0)
    manager = DatabaseManager(sql, docs, retry=RetryPolicy(attempts=2, **FAST))

    with pytest.raises(StoreUnavailableError) as info:
        await manager.connect_all()

    assert info.value.store == "sqlite"
    assert docs.connect_calls == 0


async def test_logged_retry_delays_stay_within_the_policy(sql: Database) -> None:
    policy = RecordingPolicy(attempts=6, base_delay=0.001, max_delay=0.005)
    manager = DatabaseManager(sql, FlakyDocumentStore(5), retry=policy)

    with capture_logs() as logs:
        await manager.connect_all()

    assert len(policy.asked) == 5
    for attempt, value in policy.asked:
        assert 0 <= value <= min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1))
    logged = [(e["attempt"], e["retry_in_s"]) for e in _for("fake-documents", logs)
              if "retry_in_s" in e]
    assert [a for a, _ in logged] == [1, 2, 3, 4, 5]
    for attempt, value in logged:
        assert 0 <= value <= min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1))


@pytest.mark.parametrize(("base_delay", "max_delay"), [(0.001, 0.01), (0.2, 5.0), (1.0, 1.0)])
def test_delay_is_full_jitter_capped_exponential(base_delay: float, max_delay: float) -> None:
    policy = RetryPolicy(attempts=20, base_delay=base_delay, max_delay=max_delay)
    for attempt in range(1, 21):
        cap = min(max_delay, base_delay * 2 ** (attempt - 1))
        samples = [policy.delay(attempt) for _ in range(200)]
        assert all(0 <= s <= cap for s in samples), (attempt, cap, max(samples))
        assert len(set(samples)) > 1  # jittered, not a fixed schedule


def test_default_policy_is_bounded() -> None:
    policy = RetryPolicy()
    assert policy.attempts >= 1
    assert all(0 <= policy.delay(n) <= policy.max_delay for n in range(1, 64))
