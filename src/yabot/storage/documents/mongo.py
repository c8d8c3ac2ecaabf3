"""MongoDB document store over the async pymongo driver (`AsyncMongoClient`).

Every repository call goes through a `Circuit`: when MongoDB stops answering, calls raise
`StoreUnavailableError` instead of hanging, and a background probe notices when it is back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel
from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import (
    CollectionInvalid,
    ConnectionFailure,
    DuplicateKeyError,
    OperationFailure,
    WaitQueueTimeoutError,
)

from yabot.domain.errors import ConflictError, NotFoundError, SchemaError, StoreUnavailableError
from yabot.domain.models import Item, NarrativeFragment, Preferences, UserDocument
from yabot.logs import get_logger
from yabot.storage.documents.base import (
    PREFERENCE_KEY,
    DocumentStore,
    FragmentRepository,
    ItemRepository,
    UserRepository,
    check_page,
    check_paths,
)
from yabot.storage.documents.circuit import Circuit, describe

log = get_logger("yabot.storage.mongo")

Doc = dict[str, Any]
M = TypeVar("M", bound=BaseModel)
NO_ID = {"_id": False}
CHOICES = "current_state.narrative_progress.choices_made"
NAMESPACE_EXISTS = 48
BAD_PATH_CODES = {28, 40}  # PathNotViable, ConflictingUpdateOperators

CLIENT_OPTIONS: dict[str, Any] = {
    "minPoolSize": 5, "maxPoolSize": 50, "maxIdleTimeMS": 30_000,
    "serverSelectionTimeoutMS": 5_000, "socketTimeoutMS": 10_000, "tz_aware": True,
}


def _strings(*names: str) -> dict[str, Any]:
    return {n: {"bsonType": "string"} for n in names}


KEYS = {"users": "user_id", "narrative_fragments": "fragment_id", "items": "item_id"}
VALIDATORS: dict[str, Doc] = {
    "users": {"bsonType": "object", "required": ["user_id", "current_state", "preferences"],
              "properties": {**_strings("user_id"), "current_state": {"bsonType": "object"},
                             "preferences": {"bsonType": "object"}}},
    "narrative_fragments": {
        "bsonType": "object", "required": ["fragment_id", "title", "content", "choices"],
        "properties": {**_strings("fragment_id", "title", "content"),
                       "choices": {"bsonType": "array"}}},
    "items": {"bsonType": "object", "required": ["item_id", "name", "type"],
              "properties": _strings("item_id", "name", "type")},
}


def _model(model: type[M], doc: Doc) -> M:
    doc.pop("_id", None)
    return model.model_validate(doc)


def _user(doc: Doc) -> UserDocument:
    # nx-27017 stores a `$push`ed subdocument as its JSON text; real MongoDB never does.
    progress = doc.get("current_state", {}).get("narrative_progress", {})
    if isinstance(progress, dict) and isinstance(progress.get("choices_made"), list):
        progress["choices_made"] = [json.loads(c) if isinstance(c, str) else c
                                    for c in progress["choices_made"]]
    return _model(UserDocument, doc)


def _bson(value: Any) -> Any:
    return value.model_dump() if isinstance(value, BaseModel) else value


class _Base:
    _name: str

    def __init__(self, store: MongoDocumentStore) -> None:
        self._store, self._key = store, KEYS[self._name]

    @property
    def _coll(self) -> AsyncCollection[Doc]:
        return self._store.database[self._name]

    async def _get(self, key: str) -> Doc | None:
        async with self._store.circuit.guard():
            return await self._coll.find_one({self._key: key}, NO_ID)

    async def _upsert(self, key: str, doc: BaseModel) -> None:
        body = doc.model_dump()
        async with self._store.circuit.guard():
            try:
                await self._coll.replace_one({self._key: key}, body, upsert=True)
            except DuplicateKeyError:  # two upserts raced on the unique index: retry once
                await self._coll.replace_one({self._key: key}, body, upsert=True)

    async def _list(self, limit: int, offset: int) -> list[Doc]:
        check_page(limit, offset)
        if limit == 0:
            return []
        async with self._store.circuit.guard():
            cursor = self._coll.find({}, NO_ID).sort(self._key, 1).skip(offset).limit(limit)
            return await cursor.to_list()


class MongoUsers(_Base, UserRepository):
    _name = "users"

    async def _update(self, user_id: str, update: Doc, projection: Doc | None = None) -> Doc:
        update = {**update, "$inc": {"version": 1}, "$currentDate": {"updated_at": True}}
        async with self._store.circuit.guard():
            try:
                doc = await self._coll.find_one_and_update(
                    {"user_id": user_id}, update, projection=projection or NO_ID,
                    return_document=ReturnDocument.AFTER)
            except OperationFailure as exc:  # e.g. "a.b" under a string, or "a" with "a.b"
                if exc.code not in BAD_PATH_CODES:
                    raise
                raise ValueError(f"invalid field path: {describe(exc)}") from exc
        if doc is None:
            raise NotFoundError("user", user_id)
        return doc

    async def create(self, user: UserDocument) -> UserDocument:
        async with self._store.circuit.guard():
            try:
                await self._coll.insert_one(user.model_dump())
            except DuplicateKeyError as exc:
                raise ConflictError(f"user {user.user_id!r} already exists") from exc
        return user

    async def get(self, user_id: str) -> UserDocument | None:
        doc = await self._get(user_id)
        return None if doc is None else _user(doc)

    async def update_state(self, user_id: str, changes: Mapping[str, Any]) -> UserDocument:
        check_paths(changes)
        sets = {f"current_state.{k}": _bson(v) for k, v in changes.items()}
        return _user(await self._update(user_id, {"$set": sets}))

    async def set_preferences(self, user_id: str, changes: Mapping[str, Any]) -> Preferences:
        check_paths(changes, PREFERENCE_KEY)
        sets = {f"preferences.{k}": _bson(v) for k, v in changes.items()}
        doc = await self._update(user_id, {"$set": sets}, {"_id": False, "preferences": True})
        return Preferences.model_validate(doc.get("preferences", {}))

    async def append_choice(self, user_id: str, fragment_id: str, choice_id: str) -> UserDocument:
        push = {CHOICES: {"fragment": fragment_id, "choice": choice_id}}
        return _user(await self._update(user_id, {"$push": push}))

    async def delete(self, user_id: str) -> bool:
        async with self._store.circuit.guard():
            result = await self._coll.delete_one({"user_id": user_id})
        return result.deleted_count > 0


class MongoFragments(_Base, FragmentRepository):
    _name = "narrative_fragments"

    async def get(self, fragment_id: str) -> NarrativeFragment | None:
        doc = await self._get(fragment_id)
        return None if doc is None else _model(NarrativeFragment, doc)

    async def upsert(self, fragment: NarrativeFragment) -> None:
        await self._upsert(fragment.fragment_id, fragment)

    async def list(self, limit: int = 100, offset: int = 0) -> list[NarrativeFragment]:
        return [_model(NarrativeFragment, d) for d in await self._list(limit, offset)]


class MongoItems(_Base, ItemRepository):
    _name = "items"

    async def get(self, item_id: str) -> Item | None:
        doc = await self._get(item_id)
        return None if doc is None else _model(Item, doc)

    async def upsert(self, item: Item) -> None:
        await self._upsert(item.item_id, item)

    async def list(self, limit: int = 100, offset: int = 0) -> list[Item]:
        return [_model(Item, d) for d in await self._list(limit, offset)]


class MongoDocumentStore(DocumentStore):
    """Documents in MongoDB (or any server speaking its wire protocol)."""

    name = "mongodb"

    def __init__(self, uri: str, database: str) -> None:
        self._uri, self._database_name = uri, database
        self._client: AsyncMongoClient[Doc] | None = None
        self.circuit = Circuit(self.name, self._ping, errors=(ConnectionFailure,),
                               no_trip=(WaitQueueTimeoutError,))
        self.users = MongoUsers(self)
        self.fragments = MongoFragments(self)
        self.items = MongoItems(self)

    @property
    def available(self) -> bool:
        return self.circuit.available

    @property
    def database(self) -> AsyncDatabase[Doc]:
        if self._client is None:
            raise RuntimeError("MongoDocumentStore is not connected; call connect() first")
        return self._client[self._database_name]

    async def _ping(self) -> None:
        await self.database.command("ping")

    async def connect(self) -> None:
        if self._client is None:
            self._client = AsyncMongoClient(self._uri, **CLIENT_OPTIONS)
        try:
            await self._ping()
        except ConnectionFailure as exc:
            client, self._client = self._client, None
            await client.close()
            raise StoreUnavailableError(self.name, describe(exc)) from exc

    async def ensure_schema(self) -> None:
        async with self.circuit.guard():
            existing = set(await self.database.list_collection_names())
            for name, schema in VALIDATORS.items():
                await self._ensure_collection(name, {"$jsonSchema": schema}, name in existing)
                try:
                    await self.database[name].create_index(KEYS[name], unique=True)
                except OperationFailure as exc:  # e.g. a non-unique index on the same key
                    raise SchemaError(f"unique index on {name}.{KEYS[name]}: "
                                      f"{describe(exc)}") from exc

    async def _ensure_collection(self, name: str, validator: Doc, exists: bool) -> None:
        if not exists:
            try:
                await self.database.create_collection(name, validator=validator)
                return
            except CollectionInvalid:  # created concurrently: update it below
                pass
            except OperationFailure as exc:
                if exc.code != NAMESPACE_EXISTS:
                    raise
        try:
            await self.database.command("collMod", name, validator=validator)
        except OperationFailure as exc:
            log.warning("mongo_validator_not_updated", collection=name, reason=describe(exc))

    async def ping(self) -> None:
        async with self.circuit.guard():
            await self._ping()

    async def close(self) -> None:
        await self.circuit.close()
        client, self._client = self._client, None
        if client is not None:
            await client.close()
