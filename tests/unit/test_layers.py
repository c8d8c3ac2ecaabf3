"""The house's import rules on src/yabot (read with ast, nothing imported; see
import_graph.py for what counts as an import: TYPE_CHECKING-only imports do not), and the
checker itself on tiny synthetic packages."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.import_graph import Layering, findings, import_graph

SRC = Path(__file__).resolve().parents[2] / "src"

# Lowest first. A module imports its own group or lower ones; api, admin and bot never
# import each other. `content` is data (the demo story), `locales` the gettext catalogs and
# their loader (stdlib only); `redis_clients` builds the Redis
# clients that the transport, security/ and the bot's FSM storage share.
LAYERS = Layering(package="yabot", groups=(
    ("domain", "content", "locales"),
    ("settings", "logs", "redis_clients", "faults"),
    ("storage",),
    ("observability",),  # metrics and health checks: the bus times itself with them
    ("events",),
    ("security",),
    ("services",),
    ("api", "admin", "bot"),
    ("server", "core"),
    ("cli", "cli_admin", "cli_events", "cli_users", "__main__"),
), isolated=frozenset({("api", "admin", "bot")}))

# Bounded contexts under services/, lowest first: a context imports only lower ones.
# Subscriptions and the wallet are leaves; the story reads the VIP state; users' rows and
# sagas use both; workflow (coordinator, sagas, scheduler) orchestrates them; admin reads
# everything; `container` (DomainServices) wires them all. messaging, economy and payments
# are placed ahead of their arrival (issues 15-17); move them if their imports say otherwise.
CONTEXTS = Layering(package="yabot.services", groups=tuple((name,) for name in (
    "messaging", "subscriptions", "wallet", "narrative", "users", "economy", "payments",
    "workflow", "admin", "container")))

# The entry points reach the stores only through services (DomainServices); the
# coordinator talks to the economy through events only (day logic is in domain.days).
NEVER_REACH = (("yabot.api", "yabot.storage"), ("yabot.admin", "yabot.storage"),
               ("yabot.bot", "yabot.storage"),
               ("yabot.services.workflow", "yabot.services.economy"))

# Known violations in files other helpers are refactoring now (issue 14); the lead empties
# this list as their work lands. A new violation fails; so does an entry that is gone.
ALLOWED: set[str] = set()


def check(src: Path, package: str, layerings: list[Layering],
          never_reach: tuple[tuple[str, str], ...], allowed: set[str]) -> list[str]:
    """What the test reports: new violations, and allowed ones that no longer exist."""
    found = findings(import_graph(src, package), layerings, never_reach)
    return sorted(found - allowed) + [f"no longer found, remove from ALLOWED: {entry}"
                                      for entry in sorted(allowed - found)]


def test_src_yabot_imports_downward_only_and_in_no_cycle() -> None:
    assert check(SRC, "yabot", [LAYERS, CONTEXTS], NEVER_REACH, ALLOWED) == []


def test_the_walk_sees_the_whole_tree() -> None:
    graph = import_graph(SRC, "yabot")
    assert {"yabot.cli", "yabot.core", "yabot.events.bus", "yabot.services.container"} <= set(
        graph)
    assert "yabot.core" in graph["yabot.cli_events"]  # a lazy import counts
    assert "yabot.events.handler_context" in graph["yabot.events.processor"]


# --- the checker on synthetic packages ------------------------------------------------

TOY = Layering(package="toy", groups=(("low",), ("mid_a", "mid_b"), ("high",)),
               isolated=frozenset({("mid_a", "mid_b")}))


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in {"toy/__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def toy_check(root: Path, allowed: set[str] | None = None,
              never_reach: tuple[tuple[str, str], ...] = ()) -> list[str]:
    return check(root, "toy", [TOY], never_reach, allowed or set())


CLEAN = {
    "toy/low/__init__.py": "",
    "toy/low/base.py": "VALUE = 1\n",
    "toy/low/more.py": "from . import base\nfrom .base import VALUE\n",
    "toy/mid_a.py": "from toy.low.base import VALUE\n",
    "toy/high.py": "import toy.mid_a\nfrom toy import mid_b\n",
    "toy/mid_b.py": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                     "    from toy.high import X\n"),
}


def test_a_clean_package_passes(tmp_path: Path) -> None:
    assert toy_check(write(tmp_path, CLEAN)) == []
    graph = import_graph(tmp_path, "toy")
    assert graph["toy.low.more"] == {"toy.low.base"}  # relative imports resolved
    assert graph["toy.high"] == {"toy.mid_a", "toy.mid_b"}
    assert graph["toy.mid_b"] == set()  # TYPE_CHECKING-only


@pytest.mark.parametrize(("files", "expected"), [
    ({"toy/low/extra.py": "from toy.high import X\n"},
     ["upward: toy.low.extra -> toy.high"]),
    ({"toy/low/extra.py": "def f():\n    from ..mid_a import Y\n"},  # lazy and relative
     ["upward: toy.low.extra -> toy.mid_a"]),
    ({"toy/mid_a.py": "import toy.mid_b\n"}, ["sibling: toy.mid_a -> toy.mid_b"]),
    ({"toy/low/base.py": "from toy.low import more\n"},
     ["cycle: toy.low.base <-> toy.low.more"]),
    ({"toy/elsewhere.py": "X = 1\n"},
     ["unplaced: toy.elsewhere (elsewhere is in no group of toy)"]),
])
def test_a_new_violation_fails(tmp_path: Path, files: dict[str, str],
                               expected: list[str]) -> None:
    assert toy_check(write(tmp_path, {**CLEAN, **files})) == expected


def test_a_cycle_through_three_modules_is_found(tmp_path: Path) -> None:
    root = write(tmp_path, {**CLEAN, "toy/low/a.py": "from toy.low import b\n",
                            "toy/low/b.py": "from toy.low import c\n",
                            "toy/low/c.py": "import toy.low.a\n"})
    assert toy_check(root) == ["cycle: toy.low.a <-> toy.low.b <-> toy.low.c"]


def test_never_reach_and_the_allowlist(tmp_path: Path) -> None:
    root = write(tmp_path, {**CLEAN, "toy/high.py": "from toy.low import base\n"})
    rule = (("toy.high", "toy.low"),)
    assert toy_check(root, never_reach=rule) == ["reach: toy.high -> toy.low.base"]
    assert toy_check(root, {"reach: toy.high -> toy.low.base"}, rule) == []
    assert toy_check(write(tmp_path, CLEAN), {"reach: toy.high -> toy.low.base"}, rule) == [
        "no longer found, remove from ALLOWED: reach: toy.high -> toy.low.base"]
