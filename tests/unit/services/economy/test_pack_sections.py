"""The economy's content-pack sections: validation names the entry and field, the demo pack
has what the contract asks for, and a load tells added from changed."""

from __future__ import annotations

import pytest

from yabot.domain.errors import ContentError
from yabot.domain.events import EVENT_TYPES
from yabot.services.narrative.content import check_pack, default_pack, parse_pack
from yabot.services.narrative.pack_sections import diff_pack, dump_entry

PACK = """
fragments:
  - {fragment_id: a, title: A, content: x, choices: [{id: c1, text: go, next_fragment: b,
     secret: true}]}
  - {fragment_id: b, title: B, content: y}
hints: [{hint_id: h1, fragment_id: a, threshold: 1, text: mira}]
items:
  - {item_id: lamp, name: Lámpara, kind: consumable, price: 3, effect: {reveal_hint: nope}}
  - {item_id: key, name: Llave, kind: collectible, price: 3, effect: {unlock_fragment: b}}
achievements:
  - {achievement_id: x1, name: X, rule: {event: no_such_event, count: 1}}
  - {achievement_id: x1, name: Y, rule: {event: reaction_detected, count: 1}}
levels:
  - {level_id: l1, fragments: [a, zzz]}
"""


def test_cross_checks_name_entry_and_field() -> None:
    problems = check_pack(parse_pack(PACK, source="p.yaml"), source="p.yaml", stored=set())
    assert "p.yaml: achievement x1: field achievement_id: duplicate achievement id" in problems
    assert ("p.yaml: achievement x1: field rule.event: unknown event type 'no_such_event'"
            in problems)
    assert "p.yaml: item lamp: field effect.reveal_hint: unknown hint 'nope'" in problems
    assert "p.yaml: item key: field effect: only a consumable item has an effect" in problems
    assert "p.yaml: level l1: field fragments[1]: unknown fragment 'zzz'" in problems


def test_a_bad_trivia_entry_is_named() -> None:
    raw = "trivia:\n  - {question_id: q9, question: '¿?', options: [a], answer: 0}\n"
    with pytest.raises(ContentError, match=r"t\.yaml: trivia q9: field options"):
        parse_pack(raw, source="t.yaml")


def test_the_demo_pack_has_what_the_contract_asks() -> None:
    pack = default_pack()
    assert check_pack(pack, source="default", stored=set()) == []
    assert 15 <= len(pack.fragments) <= 20 and len(pack.levels) == 2
    ids = {f.fragment_id: f for f in pack.fragments}
    start = ids["fragment_001"]
    assert start.title == "El Comienzo"
    assert {(c.id, c.next_fragment) for c in start.choices} >= {
        ("choice_a", "forest_001"), ("choice_b", "village_001")}
    assert ids["vip_001"].metadata.vip_required
    assert any(c.secret for f in pack.fragments for c in f.choices)
    items = {i.item_id: i for i in pack.items}
    assert "besito_001" in items
    assert any(i.price is not None and i.price <= 10 for i in pack.items)
    assert any(i.effect is not None and i.effect.reveal_hint for i in pack.items)
    assert any(i.effect is not None and i.effect.unlock_fragment for i in pack.items)
    assert any(a.rule.event == "reaction_detected" and a.rule.count == 1
               for a in pack.achievements)
    assert pack.missions and all(m.rule.event in EVENT_TYPES for m in pack.missions)
    assert {m.rule.event for m in pack.missions} & {"reaction_detected", "decision_made"}
    assert pack.trivia and all(q.question.endswith("?") and q.reward > 0 for q in pack.trivia)
    # rewards only from reactions, choices, missions, achievements and trivia: never buying
    spending = {"item_purchased", "item_used", "auction_won", "besitos_spent"}
    assert all(a.reward == 0 for a in pack.achievements if a.rule.event in spending)
    assert all(m.rule.event not in spending for m in pack.missions)


def test_diff_tells_added_from_changed() -> None:
    raw = (PACK.replace("nope", "h1").replace("kind: collectible", "kind: consumable")
           .replace("no_such_event", "decision_made").replace("x1, name: Y", "x2, name: Y"))
    pack = parse_pack(raw, source="p")
    fragments = {"a": dump_entry(pack.fragments[0]), "b": "{}"}
    added, changed = diff_pack(pack, fragments=fragments, items={}, hints={}, sections={
        ("achievements", "x1"): dump_entry(pack.achievements[0])})
    assert added == {"items": ["lamp", "key"], "hints": ["h1"], "achievements": ["x2"],
                     "levels": ["l1"]}
    assert changed == {"fragments": ["b"]}
