"""One contract for every document-store adapter: embedded (SQLite JSON) and MongoDB.

The MongoDB adapter runs against nx-27017, so (per docs) nothing here relies on
transactions, `$addToSet` on a missing field, ObjectId equality, Decimal128 or
validator enforcement.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from yabot.domain.errors import ConflictError, NotFoundError
from yabot.domain.models import (
    Choice,
    CurrentState,
    FragmentMetadata,
    Item,
    NarrativeFragment,
    NarrativeProgress,
    Preferences,
    UserDocument,
)
from yabot.storage.documents.base import DocumentStore
from yabot.storage.documents.embedded import EmbeddedDocumentStore
from yabot.storage.documents.mongo import MongoDocumentStore
from yabot.storage.sql.database import Database

TIMESTAMPS = {"created_at", "updated_at"}


@pytest.fixture(params=["embedded", pytest.param("mongo", marks=pytest.mark.mongo)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Any]:
    if request.param == "mongo":
        return "mongo", request.getfixturevalue("mongo_uri_and_db")
    return "embedded", f"sqlite+aiosqlite:///{tmp_path}/docs.db"


@pytest.fixture
async def store(backend: tuple[str, Any]) -> AsyncIterator[DocumentStore]:
    kind, config = backend
    docs: DocumentStore
    if kind == "mongo":
        uri, database = config
        docs = MongoDocumentStore(uri, database)
    else:
        docs = EmbeddedDocumentStore(Database(config), owns_db=True)
    await docs.connect()
    try:
        await docs.ensure_schema()
        yield docs
    finally:
        await docs.close()


def seed_user(user_id: str = "123456789") -> UserDocument:
    return UserDocument(
        user_id=user_id,
        current_state=CurrentState(
            menu_context="main_menu",
            narrative_progress=NarrativeProgress(
                current_fragment="fragment_001", completed_fragments=["intro_000"]),
            session_data={"last_message_id": 42, "flags": {"seen_tutorial": True}},
        ),
        preferences=Preferences(language="es", notifications_enabled=True, theme="default"),
    )


def fragment(fragment_id: str, title: str = "El Comienzo", *,
             vip: bool = False) -> NarrativeFragment:
    return NarrativeFragment(
        fragment_id=fragment_id, title=title, content="Había una vez…",
        choices=[Choice(id="choice_a", text="Ir al bosque", next_fragment="forest_001"),
                 Choice(id="choice_b", text="Ir al pueblo", next_fragment="village_001")],
        metadata=FragmentMetadata(difficulty="easy", tags=["inicio"], vip_required=vip),
    )


def item(item_id: str, name: str = "Besito") -> Item:
    return Item(item_id=item_id, name=name, type="currency", metadata={"value": 1})


def same_moment(a: Any, b: Any) -> bool:
    """MongoDB keeps milliseconds, the embedded store microseconds."""
    return bool(abs(a - b) < timedelta(milliseconds=1))


def body(model: Any) -> dict[str, Any]:
    return dict(model.model_dump(exclude=TIMESTAMPS))


# -- users -----------------------------------------------------------------------------

async def test_create_get_round_trip(store: DocumentStore) -> None:
    user = seed_user()
    assert await store.users.create(user) == user
    got = await store.users.get(user.user_id)
    assert got is not None
    assert body(got) == body(user)
    assert got.current_state.narrative_progress.current_fragment == "fragment_001"
    assert got.current_state.session_data == {"last_message_id": 42,
                                              "flags": {"seen_tutorial": True}}
    assert same_moment(got.created_at, user.created_at)
    assert got.created_at.tzinfo is not None
    assert await store.users.get("nobody") is None


async def test_create_defaults_round_trip(store: DocumentStore) -> None:
    await store.users.create(UserDocument(user_id="1"))
    got = await store.users.get("1")
    assert got is not None
    assert body(got) == body(UserDocument(user_id="1"))


async def test_duplicate_create_conflicts(store: DocumentStore) -> None:
    await store.users.create(seed_user("7"))
    with pytest.raises(ConflictError):
        await store.users.create(seed_user("7"))
    got = await store.users.get("7")
    assert got is not None
    assert got.version == 0


async def test_update_state_nested_keeps_siblings(store: DocumentStore) -> None:
    user = await store.users.create(seed_user())
    updated = await store.users.update_state(user.user_id, {
        "narrative_progress.current_fragment": "forest_001",
        "session_data.flags.lamp": "on",
    })
    progress = updated.current_state.narrative_progress
    assert progress.current_fragment == "forest_001"
    assert progress.completed_fragments == ["intro_000"]
    assert updated.current_state.menu_context == "main_menu"
    assert updated.current_state.session_data == {
        "last_message_id": 42, "flags": {"seen_tutorial": True, "lamp": "on"}}
    assert updated.version == user.version + 1
    assert updated.updated_at >= user.updated_at - timedelta(milliseconds=1)
    assert updated.preferences == user.preferences

    again = await store.users.update_state(user.user_id, {"menu_context": "narrative"})
    assert again.version == user.version + 2
    assert again.current_state.narrative_progress.current_fragment == "forest_001"
    assert await store.users.get(user.user_id) == again


async def test_update_state_missing_user(store: DocumentStore) -> None:
    with pytest.raises(NotFoundError):
        await store.users.update_state("ghost", {"menu_context": "x"})


@pytest.mark.parametrize("changes", [
    {}, {"": 1}, {"a..b": 1}, {"$where": 1}, {"a.$": 1}, {"1abc": 1}, {"a'); --": 1}])
async def test_update_state_invalid_path(store: DocumentStore, changes: dict[str, Any]) -> None:
    await store.users.create(seed_user("9"))
    with pytest.raises(ValueError, match="field"):
        await store.users.update_state("9", changes)
    got = await store.users.get("9")
    assert got is not None
    assert got.version == 0


async def test_set_preferences_partial(store: DocumentStore) -> None:
    user = await store.users.create(seed_user())
    prefs = await store.users.set_preferences(user.user_id, {"theme": "dark"})
    assert prefs == Preferences(language="es", notifications_enabled=True, theme="dark")
    prefs = await store.users.set_preferences(user.user_id, {"notifications_enabled": False})
    assert prefs == Preferences(language="es", notifications_enabled=False, theme="dark")
    got = await store.users.get(user.user_id)
    assert got is not None
    assert got.preferences == prefs
    assert got.current_state == user.current_state
    assert got.version == 2


async def test_set_preferences_rejects_bad_keys_and_missing_user(store: DocumentStore) -> None:
    await store.users.create(seed_user("5"))
    with pytest.raises(ValueError, match="field"):
        await store.users.set_preferences("5", {"nested.key": 1})
    with pytest.raises(NotFoundError):
        await store.users.set_preferences("ghost", {"theme": "dark"})


async def test_append_choice_keeps_order(store: DocumentStore) -> None:
    user = await store.users.create(seed_user())
    first = await store.users.append_choice(user.user_id, "fragment_001", "choice_a")
    assert first.version == 1
    second = await store.users.append_choice(user.user_id, "forest_001", "choice_b")
    third = await store.users.append_choice(user.user_id, "forest_001", "choice_b")
    made = [(c.fragment, c.choice) for c in third.current_state.narrative_progress.choices_made]
    assert made == [("fragment_001", "choice_a"), ("forest_001", "choice_b"),
                    ("forest_001", "choice_b")]  # a log, duplicates included
    assert (second.version, third.version) == (2, 3)
    assert third.current_state.narrative_progress.current_fragment == "fragment_001"
    got = await store.users.get(user.user_id)
    assert got is not None
    assert got.current_state.narrative_progress.choices_made == \
        third.current_state.narrative_progress.choices_made
    with pytest.raises(NotFoundError):
        await store.users.append_choice("ghost", "fragment_001", "choice_a")


async def test_delete(store: DocumentStore) -> None:
    await store.users.create(seed_user("1"))
    await store.users.create(seed_user("2"))
    assert await store.users.delete("1") is True
    assert await store.users.get("1") is None
    assert await store.users.delete("1") is False
    assert await store.users.get("2") is not None
    await store.users.create(seed_user("1"))  # the id is free again
    assert await store.users.get("1") is not None


# -- fragments and items ---------------------------------------------------------------

async def test_fragments_upsert_get_list(store: DocumentStore) -> None:
    assert await store.fragments.get("fragment_001") is None
    assert await store.fragments.list() == []
    for fid in ("village_001", "fragment_001", "forest_001", "vip_001"):
        await store.fragments.upsert(fragment(fid, vip=fid.startswith("vip")))
    await store.fragments.upsert(fragment("fragment_001", title="El Comienzo (v2)"))

    got = await store.fragments.get("fragment_001")
    assert got is not None
    assert got.title == "El Comienzo (v2)"
    assert [c.next_fragment for c in got.choices] == ["forest_001", "village_001"]
    assert body(got) == body(fragment("fragment_001", title="El Comienzo (v2)"))
    vip = await store.fragments.get("vip_001")
    assert vip is not None
    assert vip.metadata.vip_required is True

    ids = [f.fragment_id for f in await store.fragments.list()]
    assert ids == ["forest_001", "fragment_001", "village_001", "vip_001"]
    assert [f.fragment_id for f in await store.fragments.list(limit=2)] == ids[:2]
    assert [f.fragment_id for f in await store.fragments.list(limit=2, offset=2)] == ids[2:]
    assert [f.fragment_id for f in await store.fragments.list(limit=10, offset=3)] == ids[3:]
    assert await store.fragments.list(limit=10, offset=4) == []


async def test_items_upsert_get_list(store: DocumentStore) -> None:
    assert await store.items.get("besito_001") is None
    for iid in ("pista_001", "besito_001", "llave_001"):
        await store.items.upsert(item(iid))
    await store.items.upsert(Item(item_id="besito_001", name="Besito dorado", type="currency",
                                  metadata={"value": 5}))
    got = await store.items.get("besito_001")
    assert got is not None
    assert (got.name, got.metadata) == ("Besito dorado", {"value": 5})
    ids = [i.item_id for i in await store.items.list()]
    assert ids == ["besito_001", "llave_001", "pista_001"]
    assert [i.item_id for i in await store.items.list(limit=1, offset=1)] == ["llave_001"]


async def test_ensure_schema_is_idempotent(store: DocumentStore) -> None:
    await store.users.create(seed_user("1"))
    await store.fragments.upsert(fragment("fragment_001"))
    await store.ensure_schema()
    await store.ensure_schema()
    assert await store.users.get("1") is not None
    assert await store.fragments.get("fragment_001") is not None
    with pytest.raises(ConflictError):  # the unique index survived
        await store.users.create(seed_user("1"))
    await store.ping()


async def test_overlapping_paths_and_negative_pages_are_refused(store: DocumentStore) -> None:
    await store.users.create(seed_user("555"))
    with pytest.raises(ValueError, match="overlapping"):
        await store.users.update_state("555", {"session_data": {}, "session_data.x": 1})
    with pytest.raises(ValueError, match="limit"):
        await store.fragments.list(limit=-1)
    unchanged = await store.users.get("555")
    assert unchanged is not None
    assert unchanged.version == seed_user("555").version
