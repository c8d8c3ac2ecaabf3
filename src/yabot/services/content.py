"""Narrative content packs (YAML or JSON): validation and loading into the document store."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, Field

from yabot.domain.models import Item, NarrativeFragment
from yabot.logging import get_logger
from yabot.storage.documents.base import DocumentStore

log = get_logger(__name__)


class ContentPack(BaseModel):
    fragments: list[NarrativeFragment] = Field(default_factory=list)
    items: list[Item] = Field(default_factory=list)


def parse_pack(raw: str) -> ContentPack:
    """Parse YAML (a superset of JSON) into a validated pack."""
    data: Any = yaml.safe_load(raw)
    return ContentPack.model_validate(data or {})


def default_pack() -> ContentPack:
    raw = resources.files("yabot.content").joinpath("default_story.yaml").read_text("utf-8")
    return parse_pack(raw)


async def load_pack(store: DocumentStore, pack: ContentPack) -> tuple[int, int]:
    """Upsert every fragment and item; returns (fragments, items) written."""
    for fragment in pack.fragments:
        await store.fragments.upsert(fragment)
    for item in pack.items:
        await store.items.upsert(item)
    return len(pack.fragments), len(pack.items)


async def seed_default_content(store: DocumentStore) -> bool:
    """Load the demo story on first start (when the store has no fragment yet)."""
    if await store.fragments.list(limit=1):
        return False
    fragments, items = await load_pack(store, default_pack())
    log.info("demo content loaded", fragments=fragments, items=items)
    return True
