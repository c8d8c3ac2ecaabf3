"""Narrative content packs (YAML or JSON): parsing and validation (the service loads them).

A pack has `fragments`, `items` and `hints` (`{hint_id, fragment_id, threshold, text}`:
unlocked when the user's besitos balance reaches `threshold`), and the economy's sections
(`achievements`, `missions`, `trivia`, `levels`). Every problem is reported as
`file: fragment X: field Y: message` before anything is written; a load publishes
`content_published` with what it added or changed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from yabot.domain.economy import Achievement, Level, Mission, TriviaQuestion
from yabot.domain.errors import ContentError
from yabot.domain.events import ContentPublished
from yabot.domain.models import Hint, Item, NarrativeFragment
from yabot.services.narrative import pack_sections
from yabot.services.narrative.ports import StoryStore
from yabot.storage.documents.base import DocumentStore


class ContentPack(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fragments: list[NarrativeFragment] = Field(default_factory=list)
    items: list[Item] = Field(default_factory=list)
    hints: list[Hint] = Field(default_factory=list)
    achievements: list[Achievement] = Field(default_factory=list)
    missions: list[Mission] = Field(default_factory=list)
    trivia: list[TriviaQuestion] = Field(default_factory=list)
    levels: list[Level] = Field(default_factory=list)


_KINDS = {"fragments": ("fragment", "fragment_id"), "items": ("item", "item_id"),
          "hints": ("hint", "hint_id"), "achievements": ("achievement", "achievement_id"),
          "missions": ("mission", "mission_id"), "trivia": ("trivia", "question_id"),
          "levels": ("level", "level_id")}


def _where(data: Any, loc: tuple[int | str, ...]) -> str:
    """'fragment forest_001: field choices[0].next_fragment' from a validation location."""
    if len(loc) >= 2 and loc[0] in _KINDS and isinstance(loc[1], int):
        kind, key = _KINDS[str(loc[0])]
        entries = data.get(loc[0]) if isinstance(data, dict) else None
        entry = entries[loc[1]] if isinstance(entries, list) and loc[1] < len(entries) else None
        name = entry.get(key) if isinstance(entry, dict) else None
        label = f"{kind} {name}" if name else f"{kind} #{loc[1] + 1}"
        rest = loc[2:]
    else:
        label, rest = "pack", loc
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in rest).lstrip(".")
    return f"{label}: field {field or '(entry)'}"


def parse_pack(raw: str, *, source: str = "<pack>") -> ContentPack:
    """Parse YAML (a superset of JSON) into a pack; ContentError naming every problem."""
    try:
        data: Any = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ContentError([f"{source}: not valid YAML or JSON: {exc}"]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ContentError([f"{source}: pack: field (root): must be a mapping with "
                            "fragments, items and hints"])
    try:
        return ContentPack.model_validate(data)
    except ValidationError as exc:
        raise ContentError([f"{source}: {_where(data, tuple(e['loc']))}: {e['msg']}"
                            for e in exc.errors()]) from None


def _duplicates(ids: Iterable[str]) -> list[str]:
    return sorted(i for i, n in Counter(ids).items() if n > 1)


def check_pack(pack: ContentPack, *, source: str, stored: set[str],
               stored_hints: set[str] | None = None) -> list[str]:
    """Cross-reference problems: duplicate ids, choices, hints, effects, levels and rules
    pointing nowhere."""
    problems: list[str] = []
    for dup in _duplicates(f.fragment_id for f in pack.fragments):
        problems.append(f"{source}: fragment {dup}: field fragment_id: duplicate fragment id")
    for dup in _duplicates(i.item_id for i in pack.items):
        problems.append(f"{source}: item {dup}: field item_id: duplicate item id")
    for dup in _duplicates(h.hint_id for h in pack.hints):
        problems.append(f"{source}: hint {dup}: field hint_id: duplicate hint id")
    known = stored | {f.fragment_id for f in pack.fragments}
    for fragment in pack.fragments:
        for dup in _duplicates(c.id for c in fragment.choices):
            problems.append(f"{source}: fragment {fragment.fragment_id}: field choices: "
                            f"duplicate choice id {dup!r}")
        for i, choice in enumerate(fragment.choices):
            if choice.next_fragment is not None and choice.next_fragment not in known:
                problems.append(
                    f"{source}: fragment {fragment.fragment_id}: field "
                    f"choices[{i}].next_fragment: choice {choice.id!r} points to unknown "
                    f"fragment {choice.next_fragment!r}")
    for hint in pack.hints:
        if hint.fragment_id not in known:
            problems.append(f"{source}: hint {hint.hint_id}: field fragment_id: unknown "
                            f"fragment {hint.fragment_id!r}")
    problems.extend(pack_sections.check_sections(pack, source=source, fragments=known,
                                                 hints=stored_hints or set()))
    return problems


async def stored_fragment_ids(documents: DocumentStore) -> set[str]:
    ids: set[str] = set()
    page, offset = 500, 0
    while batch := await documents.fragments.list(limit=page, offset=offset):
        ids.update(f.fragment_id for f in batch)
        offset += page
    return ids


async def published_event(documents: DocumentStore, story: StoryStore, pack: ContentPack,
                          source: str) -> ContentPublished:
    """The `content_published` event of loading `pack`: what is new and what changed."""
    async def docs(get: Any, ids: list[str]) -> dict[str, str]:
        found = {i: await get(i) for i in ids}
        return {i: pack_sections.dump_entry(d) for i, d in found.items() if d is not None}
    fragments = await docs(documents.fragments.get, [f.fragment_id for f in pack.fragments])
    items = await docs(documents.items.get, [i.item_id for i in pack.items])
    hints, sections = await story.stored_state()
    added, changed = pack_sections.diff_pack(pack, fragments=fragments, items=items,
                                             hints=hints, sections=sections)
    return pack_sections.published(source, added, changed)


async def stored_hint_ids(story: StoryStore) -> set[str]:
    return set((await story.stored_state())[0])


def default_pack() -> ContentPack:
    raw = resources.files("yabot.content").joinpath("default_story.yaml").read_text("utf-8")
    return parse_pack(raw, source="default_story.yaml")
