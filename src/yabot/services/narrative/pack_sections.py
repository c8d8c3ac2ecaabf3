"""The economy's sections of a content pack: cross-checks, storage, and what a load changed.

`content_published` names, per section, the ids a load added and the ids whose content
changed, so subscribers (a broadcast, a cache) can react.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from yabot.domain.economy import SECTION_KINDS, section_json
from yabot.domain.events import EVENT_TYPES, ContentPublished, ContentPublishedPayload

if TYPE_CHECKING:
    from yabot.services.narrative.content import ContentPack

_IDS = {"achievements": ("achievement", "achievement_id"), "missions": ("mission", "mission_id"),
        "trivia": ("trivia", "question_id"), "levels": ("level", "level_id")}


def _dups(ids: Iterable[str]) -> list[str]:
    return sorted(i for i, n in Counter(ids).items() if n > 1)


def check_sections(pack: ContentPack, *, source: str, fragments: set[str],
                   hints: set[str]) -> list[str]:
    """Duplicate ids, rules on unknown events, effects and levels pointing nowhere."""
    problems: list[str] = []
    for section, (label, key) in _IDS.items():
        for dup in _dups(getattr(e, key) for e in getattr(pack, section)):
            problems.append(f"{source}: {label} {dup}: field {key}: duplicate {label} id")
    for section in ("achievements", "missions"):
        label, key = _IDS[section]
        for entry in getattr(pack, section):
            if entry.rule.event not in EVENT_TYPES:
                problems.append(f"{source}: {label} {getattr(entry, key)}: field rule.event: "
                                f"unknown event type {entry.rule.event!r}")
    known_hints = hints | {h.hint_id for h in pack.hints}
    for item in pack.items:
        effect = item.effect
        if effect is not None and item.kind != "consumable":
            problems.append(f"{source}: item {item.item_id}: field effect: only a "
                            "consumable item has an effect")
        if effect is not None and effect.reveal_hint and effect.reveal_hint not in known_hints:
            problems.append(f"{source}: item {item.item_id}: field effect.reveal_hint: "
                            f"unknown hint {effect.reveal_hint!r}")
        if (effect is not None and effect.unlock_fragment
                and effect.unlock_fragment not in fragments):
            problems.append(f"{source}: item {item.item_id}: field effect.unlock_fragment: "
                            f"unknown fragment {effect.unlock_fragment!r}")
    for level in pack.levels:
        for i, fragment_id in enumerate(level.fragments):
            if fragment_id not in fragments:
                problems.append(f"{source}: level {level.level_id}: field fragments[{i}]: "
                                f"unknown fragment {fragment_id!r}")
    return problems


def _json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude={"created_at"})


def _note(out: dict[str, list[str]], section: str, entry_id: str) -> None:
    out.setdefault(section, []).append(entry_id)


def diff_pack(pack: ContentPack, *, fragments: dict[str, str], items: dict[str, str],
              hints: dict[str, str], sections: dict[tuple[str, str], str],
              ) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(added, changed): per section, the ids that are new and the ids whose content moved."""
    added: dict[str, list[str]] = {}
    changed: dict[str, list[str]] = {}
    olds: dict[str, dict[str, str]] = {"fragments": fragments, "items": items, "hints": hints}
    for kind in SECTION_KINDS:
        olds[kind] = {eid: data for (k, eid), data in sections.items() if k == kind}
    for section, key in (("fragments", "fragment_id"), ("items", "item_id"),
                         ("hints", "hint_id"), *((k, _IDS[k][1]) for k in SECTION_KINDS)):
        for entry in getattr(pack, section):
            entry_id, old = getattr(entry, key), olds[section].get(getattr(entry, key))
            if old is None:
                _note(added, section, entry_id)
            elif old != section_json(_json(entry)):
                _note(changed, section, entry_id)
    return added, changed


def dump_entry(model: BaseModel) -> str:
    return section_json(_json(model))


def section_rows(pack: ContentPack) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Per section kind, the (id, JSON) rows a load stores."""
    return {kind: [(getattr(e, _IDS[kind][1]), _json(e)) for e in getattr(pack, kind)]
            for kind in SECTION_KINDS}


def published(source: str, added: dict[str, list[str]],
              changed: dict[str, list[str]]) -> ContentPublished:
    return ContentPublished(payload=ContentPublishedPayload(source=source, added=added,
                                                            changed=changed))
