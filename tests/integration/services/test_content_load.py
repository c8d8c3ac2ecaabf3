"""Loading packs into real stores (all or nothing) and through `yabot content load`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.integration.services.ledger_env import Env
from tests.integration.services.test_narrative import narrative_for
from yabot.domain.errors import ContentError
from yabot.storage.sql.tables import narrative_hints

GOOD = """
fragments:
  - fragment_id: cave_001
    title: La Cueva
    content: Oscura.
    choices: [{id: out, text: Salir, next_fragment: fragment_001}]
items:
  - {item_id: torch_001, name: Antorcha, type: tool}
hints:
  - {hint_id: hint_cave, fragment_id: cave_001, threshold: 5}
"""
BAD = GOOD.replace("next_fragment: fragment_001", "next_fragment: nowhere") + """
  - {hint_id: hint_cave2, fragment_id: cave_001, threshold: 7}
"""


async def test_load_then_all_or_nothing(env: Env, tmp_path: Path) -> None:
    narrative = narrative_for(env)
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    assert await narrative.load_pack_file(str(good)) == (1, 1)
    assert (await narrative.get_fragment("cave_001")).choices[0].next_fragment == "fragment_001"
    assert await env.stores.documents.items.get("torch_001") is not None
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD.replace("cave_001", "cave_002"))
    with pytest.raises(ContentError) as info:
        await narrative.load_pack_file(str(bad))
    assert info.value.problems == [
        f"{bad}: fragment cave_002: field choices[0].next_fragment: choice 'out' points to "
        "unknown fragment 'nowhere'"]
    assert await env.stores.documents.fragments.get("cave_002") is None  # nothing written
    assert await env.scalar(sa.select(sa.func.count()).select_from(narrative_hints)
                            .where(narrative_hints.c.hint_id == "hint_cave2")) == 0
    with pytest.raises(ContentError) as missing:
        await narrative.load_pack_file(str(tmp_path / "missing.yaml"))
    assert "cannot read" in missing.value.problems[0]


def _yabot(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("REDIS_", "DATABASE_URL", "MONGODB_"))}
    env["SQLITE_DATABASE_PATH"] = str(db)
    return subprocess.run([sys.executable, "-m", "yabot", *args], capture_output=True,
                          text=True, timeout=120, env=env, cwd=db.parent)


def test_cli_content_load(tmp_path: Path) -> None:
    db = tmp_path / "yabot.db"
    assert _yabot(db, "migrate").returncode == 0
    bad = tmp_path / "bad.json"
    bad.write_text('{"fragments": [{"fragment_id": "x", "title": "X", "content": "c", '
                   '"choices": [{"id": "c1", "text": "t", "next_fragment": "nope"}]}]}')
    result = _yabot(db, "content", "load", str(bad))
    assert result.returncode == 1
    assert (f"content error: {bad}: fragment x: field choices[0].next_fragment"
            in result.stderr)
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    result = _yabot(db, "content", "load", str(good))
    assert result.returncode == 0, result.stderr
    assert "loaded 1 fragment(s) and 1 item(s)" in result.stdout
