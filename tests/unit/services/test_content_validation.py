"""Content pack validation (pure logic): every problem names file, fragment and field."""

from __future__ import annotations

import pytest

from yabot.domain.errors import ContentError
from yabot.services.narrative.content import check_pack, default_pack, parse_pack

PACK = """
fragments:
  - fragment_id: a
    title: A
    content: text
    choices:
      - {id: go, text: Go, next_fragment: b}
      - {id: lost, text: Lost, next_fragment: nowhere}
  - fragment_id: b
    title: B
    content: text
  - fragment_id: b
    title: B again
    content: text
hints:
  - {hint_id: h1, fragment_id: ghost, threshold: 3}
"""


def test_cross_reference_problems() -> None:
    pack = parse_pack(PACK, source="story.yaml")
    problems = check_pack(pack, source="story.yaml", stored=set())
    assert "story.yaml: fragment b: field fragment_id: duplicate fragment id" in problems
    assert any(p.startswith("story.yaml: fragment a: field choices[1].next_fragment:")
               and "'nowhere'" in p for p in problems)
    assert any(p.startswith("story.yaml: hint h1: field fragment_id:") for p in problems)
    assert len(problems) == 3


def test_choice_may_point_to_a_stored_fragment() -> None:
    pack = parse_pack(PACK.replace("nowhere", "fragment_001"), source="s.json")
    problems = check_pack(pack, source="s.json", stored={"fragment_001"})
    assert not any("choices" in p for p in problems)


def test_schema_errors_name_fragment_and_field() -> None:
    raw = ('{"fragments": [{"fragment_id": "x", "title": "X", "content": "c",'
           ' "choices": [{"text": "no id"}]}], "hints": [{"hint_id": "h", '
           '"fragment_id": "x", "threshold": 0}]}')
    with pytest.raises(ContentError) as info:
        parse_pack(raw, source="pack.json")
    assert "pack.json: fragment x: field choices[0].id: Field required" in info.value.problems
    assert any(p.startswith("pack.json: hint h: field threshold:") for p in info.value.problems)


@pytest.mark.parametrize("raw", ["fragments: [", "- just\n- a list\n"])
def test_unreadable_pack(raw: str) -> None:
    with pytest.raises(ContentError) as info:
        parse_pack(raw, source="bad.yaml")
    assert info.value.problems[0].startswith("bad.yaml: ")


def test_demo_pack_is_valid_and_has_hints() -> None:
    pack = default_pack()
    assert check_pack(pack, source="default", stored=set()) == []
    assert {f.fragment_id for f in pack.fragments} >= {"fragment_001", "forest_001",
                                                       "village_001", "vip_001"}
    assert sorted(h.threshold for h in pack.hints) == [3, 10, 30]
