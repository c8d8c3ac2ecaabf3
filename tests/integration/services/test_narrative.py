"""NarrativeService on real stores: choices, progress, events, VIP gate, hints."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.integration.services.ledger_env import Env, EnvFactory
from yabot.domain.errors import InvalidChoiceError, NotFoundError, VipRequiredError
from yabot.events.bus import EventBus
from yabot.services.container import narrative_service, subscription_service
from yabot.services.narrative.service import NarrativeService
from yabot.storage.sql.tables import event_log


def narrative_for(env: Env) -> NarrativeService:
    return narrative_service(env.stores, env.bus)


async def _logged(env: Env, event_type: str) -> list[dict[str, object]]:
    async with env.stores.sql.read() as conn:
        rows = (await conn.execute(sa.select(event_log.c.event_data)
                                   .where(event_log.c.event_type == event_type))).scalars()
        return [json.loads(r) for r in rows]


async def test_choices_move_progress_and_publish(env: Env) -> None:
    narrative = narrative_for(env)
    await env.add_user("7")
    assert (await narrative.current("7")).fragment_id == "fragment_001"
    outcome = await narrative.process_choice("7", "choice_b")
    assert outcome.fragment.fragment_id == "village_001" and not outcome.vip_denied
    outcome = await narrative.process_choice("7", "choice_rest")
    assert outcome.fragment.fragment_id == "fragment_001"
    doc = await env.stores.documents.users.get("7")
    assert doc is not None
    progress = doc.current_state.narrative_progress
    assert progress.current_fragment == "fragment_001"
    assert progress.completed_fragments == ["fragment_001", "village_001"]
    assert [(c.fragment, c.choice) for c in progress.choices_made] == [
        ("fragment_001", "choice_b"), ("village_001", "choice_rest")]
    decisions = await _logged(env, "decision_made")
    assert [d["payload"]["choice_id"] for d in decisions] == ["choice_b", "choice_rest"]
    assert [d["sequence"] for d in decisions] == [None, None]  # no workflow orders them


async def test_invalid_choice_changes_nothing(env: Env) -> None:
    narrative = narrative_for(env)
    await env.add_user("7")
    with pytest.raises(InvalidChoiceError) as info:
        await narrative.process_choice("7", "choice_rest")  # belongs to village_001
    assert info.value.fragment_id == "fragment_001"
    doc = await env.stores.documents.users.get("7")
    assert doc is not None and doc.current_state.narrative_progress.choices_made == []
    assert await _logged(env, "decision_made") == []
    with pytest.raises(NotFoundError):
        await narrative.process_choice("404", "choice_a")
    with pytest.raises(NotFoundError):
        await narrative.get_fragment("nowhere")


async def test_start_resets_current(env: Env) -> None:
    narrative = narrative_for(env)
    await env.add_user("7")
    await narrative.process_choice("7", "choice_a")
    assert (await narrative.current("7")).fragment_id == "forest_001"
    assert (await narrative.start("7")).fragment_id == "fragment_001"
    assert (await narrative.current("7")).fragment_id == "fragment_001"


async def _grant_vip(bus: EventBus, env: Env, user_id: str) -> None:
    subs = subscription_service(env.stores, bus)
    await subs.set_plan(user_id, "vip", datetime.now(UTC) + timedelta(days=30))


async def test_vip_gate(env: Env) -> None:
    narrative = narrative_for(env)
    await env.add_user("7")
    await narrative.process_choice("7", "choice_a")
    outcome = await narrative.process_choice("7", "choice_dig")  # into vip_001
    assert outcome.vip_denied and outcome.denied_fragment_id == "vip_001"
    assert outcome.fragment.fragment_id == "forest_001"
    assert (await narrative.current("7")).fragment_id == "forest_001"
    with pytest.raises(VipRequiredError):
        await narrative.get_fragment("vip_001", user_id="7")
    assert len(await _logged(env, "vip_access_denied")) == 2
    assert (await narrative.get_fragment("vip_001")).metadata.vip_required  # no user: no gate
    await _grant_vip(env.bus, env, "7")
    assert (await narrative.get_fragment("vip_001", user_id="7")).fragment_id == "vip_001"
    outcome = await narrative.process_choice("7", "choice_dig")
    assert not outcome.vip_denied and outcome.fragment.fragment_id == "vip_001"
    assert len(await _logged(env, "vip_access_granted")) == 2


@pytest.mark.postgres
async def test_separate_stores_progress(make_env: EnvFactory, postgres_url: str) -> None:
    env = await make_env(postgres_url)
    narrative = narrative_for(env)
    await env.add_user("7")
    await narrative.process_choice("7", "choice_a")
    assert (await narrative.current("7")).fragment_id == "forest_001"
    assert len(await _logged(env, "decision_made")) == 1
