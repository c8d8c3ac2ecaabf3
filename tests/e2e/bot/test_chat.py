"""`yabot chat` with piped input: a new user plays, earns besitos and meets the VIP gate,
on the same database `yabot run` uses, with no BOT_TOKEN."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.e2e.test_run import clean_env

SCRIPT = "\n".join([
    "/start",
    "1",          # 📖 Historia
    "1",          # Explorar el bosque
    ":react",     # react to the forest fragment
    ":wait Logro desbloqueado",  # the demo's first-reaction achievement (+2)
    "/besitos",
    "/historia",
    "1",          # Excavar bajo el roble: VIP only
    "/desconocido",
]) + "\n"


def chat(tmp_path: Path, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = clean_env(SQLITE_DATABASE_PATH=str(tmp_path / "data" / "yabot.db"),
                    REACTION_REWARD_BESITOS="2", MISSIONS_PER_DAY="0")
    return subprocess.run([sys.executable, "-m", "yabot", "chat", *args], input=text,
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def _balance(out: str) -> int:
    found = re.search(r"Tienes (\d+) besitos", out)
    assert found, out
    return int(found.group(1))


def test_chat_plays_the_story_with_piped_input(tmp_path: Path) -> None:
    done = chat(tmp_path, SCRIPT, "--user-id", "4242")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Bienvenida" in out and "[1] 📖 Historia" in out
    assert "El Comienzo" in out and "[1] Explorar el bosque" in out
    assert "El Bosque Susurrante" in out
    assert "+2 besitos" in out
    assert "Logro desbloqueado" in out
    assert _balance(out) == 4  # the reaction's 2 and the first-reaction achievement's 2
    assert "El Secreto del Roble es un capítulo VIP" in out
    assert "No conozco el comando /desconocido" in out
    order = [out.index(t) for t in ("Bienvenida", "El Bosque Susurrante", "capítulo VIP")]
    assert order == sorted(order)

    again = chat(tmp_path, "/besitos\n", "--user-id", "4242")  # same database, same user
    assert again.returncode == 0, again.stderr
    assert _balance(again.stdout) == 4
    empty = chat(tmp_path, "")
    assert empty.returncode == 0 and empty.stdout == ""
