"""MongoDB going away at runtime: calls fail fast, and the store recovers by itself."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.fixtures.mongo import NxServer
from yabot.domain.errors import StoreUnavailableError
from yabot.domain.models import UserDocument
from yabot.storage.documents.mongo import CLIENT_OPTIONS, MongoDocumentStore

pytestmark = [pytest.mark.mongo, pytest.mark.slow]

# bounds, not benchmarks: server selection gives up after its timeout; allow a margin
FIRST_FAILURE_BOUND = CLIENT_OPTIONS["serverSelectionTimeoutMS"] / 1000 + 3.0
FAST_FAILURE_BOUND = 0.5
RECOVERY_BOUND = 20.0


async def test_outage_fails_fast_and_recovers(
        mongo_server: NxServer, mongo_uri_and_db: tuple[str, str]) -> None:
    store = MongoDocumentStore(*mongo_uri_and_db)
    await store.connect()
    try:
        await store.ensure_schema()
        await store.users.create(UserDocument(user_id="before"))
        assert store.available is True

        mongo_server.stop()
        try:
            started = time.monotonic()
            with pytest.raises(StoreUnavailableError) as first:
                await store.users.get("before")
            assert time.monotonic() - started < FIRST_FAILURE_BOUND
            assert first.value.store == "mongodb"
            assert store.available is False

            # while down: no network wait, whatever the call
            for call in (store.users.get("before"), store.users.delete("before"),
                         store.fragments.list(), store.ping()):
                started = time.monotonic()
                with pytest.raises(StoreUnavailableError):
                    await call
                assert time.monotonic() - started < FAST_FAILURE_BOUND
            assert store.available is False
        finally:
            mongo_server.start()

        deadline = time.monotonic() + RECOVERY_BOUND
        while not store.available and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert store.available is True, "store did not recover after the server restarted"

        await store.users.create(UserDocument(user_id="after"))
        assert await store.users.get("after") is not None
        assert await store.users.get("before") is not None  # the data survived the restart
        updated = await store.users.update_state("after", {"menu_context": "narrative"})
        assert updated.version == 1
    finally:
        await store.close()


async def test_close_while_down_stops_the_probe(
        mongo_server: NxServer, mongo_uri_and_db: tuple[str, str]) -> None:
    store = MongoDocumentStore(*mongo_uri_and_db)
    await store.connect()
    mongo_server.stop()
    try:
        with pytest.raises(StoreUnavailableError):
            await store.users.get("x")
        assert store.available is False
        started = time.monotonic()
        await store.close()  # cancels the recovery task instead of waiting for a ping
        assert time.monotonic() - started < FIRST_FAILURE_BOUND
        assert not [t for t in asyncio.all_tasks() if t.get_name() == "mongodb-recovery"]
    finally:
        mongo_server.start()


async def test_connect_to_nothing_raises_unavailable() -> None:
    from tests.fixtures.common import free_port

    store = MongoDocumentStore(f"mongodb://127.0.0.1:{free_port()}", "nothing")
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError):
        await store.connect()
    assert time.monotonic() - started < FIRST_FAILURE_BOUND
    await store.close()
